// zkinfer's proving worker: runs the wasm prover off the page's main thread. Messages in:
// {id, op, args}; out: {id, ok, result | error} and {id, progress: {stage, …}}.
//
// Two builds of the prover: pkg-threads/ (rayon over Web Workers sharing the module's memory;
// needs a cross-origin isolated page, i.e. served with COOP `same-origin` and COEP
// `require-corp`) and pkg/ (one thread, works everywhere). `load` picks pkg-threads when more
// than one thread is asked for and the page is isolated, and falls back to pkg/ otherwise
// (`threadsUnavailable` then says why, when threads were asked for).

const POOL_START_MS = 30000;
let wasm = null; // {module, threads, threadsUnavailable?}
let prover = null;

async function start(threads) {
  let threadsUnavailable;
  if (threads > 1 && !self.crossOriginIsolated) {
    threadsUnavailable = "the page is not cross-origin isolated (serve it with COOP same-origin and COEP require-corp)";
  } else if (threads > 1) {
    try {
      const module = await import("./pkg-threads/zkinfer_wasm.js");
      await module.default();
      // a pool worker that cannot start (a CSP without blob: workers, say) never answers:
      // give up after POOL_START_MS and prove on one thread (pkg/ is a separate instance)
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`its ${threads} workers did not start within ${POOL_START_MS / 1000} s`)), POOL_START_MS);
      });
      try {
        await Promise.race([module.initThreadPool(threads), timeout]);
      } finally {
        clearTimeout(timer);
      }
      return { module, threads };
    } catch (e) {
      // not deployed, or the browser would not start the workers: one thread
      threadsUnavailable = `pkg-threads did not start: ${(e && e.message) || e}`;
    }
  }
  const module = await import("./pkg/zkinfer_wasm.js");
  await module.default();
  return { module, threads: 1, threadsUnavailable };
}

function ready(threads) {
  wasm = wasm || start(threads);
  return wasm;
}

const ops = {
  async load(id, { manifest, program, pk, srs, threads }) {
    const { module, threads: used, threadsUnavailable } = await ready(threads || 1);
    self.postMessage({ id, progress: { stage: "checking the bundle", threads: used } });
    prover = new module.WebProver(manifest, program, pk, srs);
    return { manifest: JSON.parse(prover.manifest()), threads: used, threadsUnavailable };
  },
  inputHash(id, { input }) {
    return loaded().inputHash(input);
  },
  prove(id, { input, bind, seed }) {
    const p = loaded();
    self.postMessage({ id, progress: { stage: "proving" } });
    const t0 = performance.now();
    const proof = JSON.parse(p.prove(input, JSON.stringify(bind || {}), seed || undefined));
    proof.seconds = (performance.now() - t0) / 1000;
    proof.proofBytes = (proof.proof.length - 2) / 2;
    return proof;
  },
  verify(id, { proof, instances }) {
    loaded().verify(proof, JSON.stringify(instances));
    return true;
  },
  verifyCalldata(id, { proof, instances }) {
    return loaded().verifyCalldata(proof, JSON.stringify(instances));
  },
  requestCreditCalldata(id, { proof, instances, attestation }) {
    return loaded().requestCreditCalldata(proof, JSON.stringify(instances), attestation);
  },
  async creditGateViews(id, { borrower }) {
    const { module } = await ready(1);
    return JSON.parse(module.creditGateViews(borrower));
  },
};

function loaded() {
  if (!prover) throw new Error("no bundle loaded: call load first");
  return prover;
}

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    if (!ops[op]) throw new Error(`unknown operation ${op}`);
    const result = await ops[op](id, args || {});
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String((e && e.message) || e) });
  }
};
