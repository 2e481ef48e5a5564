// zkinfer in the browser: load a build's web bundle (`zkinfer export-web`), hash, prove,
// verify and encode calldata. The prover runs in a Web Worker so the page stays responsive.
// Types: zkinfer.d.ts.

/** An error from the prover or the bundle, with what went wrong in `message`. */
export class ZkinferError extends Error {
  constructor(message, stage) {
    super(message);
    this.name = "ZkinferError";
    this.stage = stage;
  }
}

const FILES = { manifest: "zkinfer-web.json", program: "program.json", pk: "pk.bin", srs: "kzg.srs" };

async function fetchBytes(url, name, onProgress) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ZkinferError(`${name}: cannot fetch ${url}: ${e.message}`, "download");
  }
  if (!response.ok) throw new ZkinferError(`${name}: ${url} answered HTTP ${response.status}`, "download");
  const total = Number(response.headers.get("content-length")) || 0;
  if (!response.body || !onProgress) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onProgress({ stage: "download", file: name, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/** A loaded build, proving in its worker (`threads`: how many threads it proves on;
 * `threadsUnavailable`: why it proves on one when more were asked for). */
export class Prover {
  constructor(worker, manifest) {
    this.worker = worker;
    this.manifest = manifest;
    this.threads = 1;
    this.next = 0;
  }

  call(op, args, onProgress, transfer = []) {
    const id = ++this.next;
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      // a worker that fails to start or load its module (or traps) rejects every pending call
      const fail = (event) => {
        this.failed = new ZkinferError(`the prover worker failed: ${event.message || "it could not start or load its module"}`, op);
        this.worker.removeEventListener("message", listen);
        reject(this.failed);
      };
      this.worker.addEventListener("error", fail, { once: true });
      this.worker.addEventListener("messageerror", fail, { once: true });
      const listen = (event) => {
        const m = event.data;
        if (m.id !== id) return;
        if (m.progress) {
          if (onProgress) onProgress(m.progress);
          return;
        }
        this.worker.removeEventListener("message", listen);
        this.worker.removeEventListener("error", fail);
        this.worker.removeEventListener("messageerror", fail);
        if (m.ok) resolve(m.result);
        else reject(new ZkinferError(m.error, op));
      };
      this.worker.addEventListener("message", listen);
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** The Poseidon hash (0x-hex) of the input's quantized features, as a provider attests it. */
  inputHash(input) {
    return this.call("inputHash", { input: text(input) });
  }

  /** Proves the model on `input` with the bound values (`{account: "0x…"}`). */
  prove(input, bind = {}, { seed, onProgress } = {}) {
    return this.call("prove", { input: text(input), bind, seed }, onProgress);
  }

  /** Resolves when the proof verifies against the build's key; rejects naming why not. */
  verify(proof, instances) {
    return this.call("verify", { proof, instances });
  }

  /** `verifyProof(bytes,uint256[])` calldata. */
  verifyCalldata(proof, instances) {
    return this.call("verifyCalldata", { proof, instances });
  }

  /** `CreditGate.requestCredit` calldata with the provider's attestation file (text or object);
   * rejects a proof whose input hash or bound account is not the attestation's. */
  requestCreditCalldata(proof, instances, attestation) {
    return this.call("requestCreditCalldata", { proof, instances, attestation: text(attestation) });
  }

  /** Calldata of the CreditGate views `vkHash()` and `isApproved(borrower)`. */
  creditGateViews(borrower) {
    return this.call("creditGateViews", { borrower });
  }

  /** Stops the worker. */
  terminate() {
    this.worker.terminate();
  }
}

function text(v) {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function startWorker(workerUrl) {
  return new Worker(workerUrl || new URL("./worker.js", import.meta.url), { type: "module" });
}

/** Threads to prove on by default: every core when the page is cross-origin isolated (served
 * with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`, which shared memory needs), else one. */
export function defaultThreads() {
  const isolated = typeof crossOriginIsolated !== "undefined" && crossOriginIsolated;
  return isolated ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 16)) : 1;
}

/** The thread count to ask for: `threads`, or defaultThreads() when not given. */
function threadCount(threads) {
  const wanted = threads === undefined ? defaultThreads() : threads;
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new ZkinferError(`threads: ${threads} is not a whole number of at least 1`, "load");
  }
  return wanted;
}

/** Loads a bundle from the bytes of its four files. */
export async function loadBundleBytes({ manifest, program, pk, srs }, { onProgress, workerUrl, threads } = {}) {
  const wanted = threadCount(threads);
  const worker = startWorker(workerUrl);
  const probe = new Prover(worker, null);
  try {
    // the large key and SRS buffers move to the worker instead of being copied
    const transfer = [...new Set([pk, srs].map((b) => b.buffer).filter((b) => b instanceof ArrayBuffer))];
    const loaded = await probe.call("load", { manifest, program, pk, srs, threads: wanted }, onProgress, transfer);
    probe.manifest = loaded.manifest;
    probe.threads = loaded.threads;
    probe.threadsUnavailable = loaded.threadsUnavailable;
  } catch (e) {
    worker.terminate();
    throw e instanceof ZkinferError ? e : new ZkinferError(String(e.message || e), "load");
  }
  return probe;
}

/** Fetches a bundle from `baseUrl` (the directory `zkinfer export-web` wrote) and loads it. */
export async function loadBundle(baseUrl, { onProgress, workerUrl, threads } = {}) {
  threadCount(threads); // a bad count fails before the downloads
  const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
  const bytes = {};
  for (const [key, name] of Object.entries(FILES)) {
    bytes[key] = await fetchBytes(new URL(name, new URL(base, location.href)), name, onProgress);
  }
  return loadBundleBytes(bytes, { onProgress, workerUrl, threads });
}
