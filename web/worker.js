// zkinfer's proving worker: runs the wasm prover off the page's main thread. Messages in:
// {id, op, args}; out: {id, ok, result | error} and {id, progress: {stage, …}}.
import init, { WebProver, verifyCalldata, requestCreditCalldata } from "./pkg/zkinfer_wasm.js";

let ready = null;
let prover = null;

const ops = {
  async load(id, { manifest, program, pk, srs }) {
    ready = ready || init();
    await ready;
    self.postMessage({ id, progress: { stage: "checking the bundle" } });
    prover = new WebProver(manifest, program, pk, srs);
    return JSON.parse(prover.manifest());
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
  async verifyCalldata(id, { proof, instances }) {
    ready = ready || init();
    await ready;
    return verifyCalldata(proof, JSON.stringify(instances));
  },
  async requestCreditCalldata(id, { proof, instances, attestation }) {
    ready = ready || init();
    await ready;
    return requestCreditCalldata(proof, JSON.stringify(instances), attestation);
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
