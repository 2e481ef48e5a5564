// zkinfer's proving worker: runs the wasm prover off the page's main thread. Messages in:
// {id, op, args}; out: {id, ok, result | error} and {id, progress: {stage, …}}.
import init, { WebProver, creditGateViews } from "./pkg/zkinfer_wasm.js";

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
  verifyCalldata(id, { proof, instances }) {
    return loaded().verifyCalldata(proof, JSON.stringify(instances));
  },
  requestCreditCalldata(id, { proof, instances, attestation }) {
    return loaded().requestCreditCalldata(proof, JSON.stringify(instances), attestation);
  },
  async creditGateViews(id, { borrower }) {
    ready = ready || init();
    await ready;
    return JSON.parse(creditGateViews(borrower));
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
