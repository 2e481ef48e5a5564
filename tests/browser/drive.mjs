// Drives web/index.html in headless Chromium (puppeteer-core; Debian's chromium): fills in the
// features, the account and (optionally) the attestation, clicks Prove, and prints what the page
// made as JSON on stdout: {proof, calldata, tampered (the page's verify of a tampered proof),
// errors, receipt}. With RPC_URL set, the page gets an injected EIP-1193 provider that hands its
// requests to that node (anvil, which signs eth_sendTransaction for its own account #1, the
// borrower) and the driver clicks Send and waits for the receipt.
// With PROBE_THREADS=n set, it loads the bundle again with `threads: n`, proves and verifies,
// and prints {threads, threadsUnavailable, proved} (or {error}).
// With BAD_CALLS=1 set, it calls the prover with bad arguments (every entry point) and prints
// {refused: {case: message}, after, attested} (after: a proof made afterwards, its seconds;
// attested: requestCredit calldata made for the well-formed attestation the cases change).
// With SEED (0x + 32 bytes) set, it instead calls the page's prover directly with that seed
// (the page itself never takes one) and prints {proof}.
// Usage: [RPC_URL=http://…] [SEED=0x…] [PROBE_THREADS=n] [BAD_CALLS=1] node drive.mjs URL CHROMIUM INPUT_FILE ACCOUNT [ATTESTATION_FILE]
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const [url, chromium, inputFile, account, attestationFile] = process.argv.slice(2);
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  page.on("console", (m) => console.error(`page console: ${m.text()}`));
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  if (process.env.RPC_URL) {
    await page.evaluateOnNewDocument((rpc, account) => {
      let id = 0;
      window.ethereum = {
        async request({ method, params }) {
          if (method === "eth_requestAccounts" || method === "eth_accounts") return [account];
          const response = await fetch(rpc, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params || [] }),
          });
          const body = await response.json();
          if (body.error) throw new Error(body.error.message);
          return body.result;
        },
      };
    }, process.env.RPC_URL, account);
  }
  await page.goto(url);
  await page.waitForFunction(() => window.zkinferPage && (window.zkinferPage.ready || window.zkinferPage.errors.length), {
    timeout: 180000,
  });
  const loadErrors = await page.evaluate(() => window.zkinferPage.errors);
  if (loadErrors.length) throw new Error(`the page did not load the bundle: ${loadErrors.join("; ")}`);
  if (process.env.PROBE_THREADS) {
    // loads the bundle again through the package with that many threads asked for
    const probe = await page.evaluate(async (threads, input, account) => {
      const z = await import("./zkinfer.js");
      try {
        const p = await z.loadBundle("./bundle/", { threads });
        const proof = await p.prove(input, { account });
        await p.verify(proof.proof, proof.instances);
        p.terminate();
        return { threads: p.threads, threadsUnavailable: p.threadsUnavailable || null, proved: true, errors: [] };
      } catch (e) {
        return { error: `${e.name}: ${e.message}`, errors: [] };
      }
    }, Number(process.env.PROBE_THREADS), readFileSync(inputFile, "utf8"), account);
    process.stdout.write(JSON.stringify(probe));
    process.exit(0);
  }
  if (process.env.BAD_CALLS) {
    // calls the page's prover with bad arguments, then proves once more: prints
    // {refused: {case: message}, after: proof seconds | error}
    const out = await page.evaluate(
      async (input, account) => {
        const p = window.zkinferPage.prover;
        const good = JSON.parse(input);
        const proof = await p.prove(input, { account });
        const word = "0x" + "0".repeat(64);
        // a well-formed attestation of this proof's features and account, with `change` applied
        const inputHash = await p.inputHash(input);
        const attestation = (change, signature = "0x" + "00".repeat(65)) => ({
          typed_data: {
            message: { subject: account, inputHash, schema: word, issuedAt: 1, expiresAt: 4102444800, ...change },
          },
          signature,
        });
        const cases = {
          notJson: () => p.prove("{", { account }),
          noInputData: () => p.prove({ data: [[1]] }, { account }),
          twoInputs: () => p.prove({ input_data: [good.input_data[0], good.input_data[0]] }, { account }),
          shortInput: () => p.prove({ input_data: [good.input_data[0].slice(1)] }, { account }),
          textFeature: () => p.prove({ input_data: [["a", ...good.input_data[0].slice(1)]] }, { account }),
          hugeFeature: () => p.prove({ input_data: [[1e30, ...good.input_data[0].slice(1)]] }, { account }),
          noAccount: () => p.prove(input, {}),
          badAccount: () => p.prove(input, { account: "0x12zz" }),
          wideAccount: () => p.prove(input, { account: "0x" + "f".repeat(64) }),
          unknownBind: () => p.prove(input, { account, nonce: "1" }),
          shortSeed: () => p.prove(input, { account }, { seed: new Uint8Array(3) }),
          hashNotJson: () => p.inputHash("nope"),
          verifyNotHex: () => p.verify("abc", proof.instances),
          verifyOddHex: () => p.verify("0x123", proof.instances),
          verifyEmpty: () => p.verify("0x", proof.instances),
          verifyTruncated: () => p.verify(proof.proof.slice(0, 200), proof.instances),
          verifyFewInstances: () => p.verify(proof.proof, proof.instances.slice(1)),
          verifyManyInstances: () => p.verify(proof.proof, [...proof.instances, word]),
          verifyInstanceNotField: () => p.verify(proof.proof, ["0x" + "f".repeat(64), ...proof.instances.slice(1)]),
          calldataBadInstances: () => p.verifyCalldata(proof.proof, ["x"]),
          attestationNotJson: () => p.requestCreditCalldata(proof.proof, proof.instances, "{"),
          attestationEmpty: () => p.requestCreditCalldata(proof.proof, proof.instances, {}),
          viewsBadAddress: () => p.creditGateViews("0x1234"),
          attestationOtherHash: () => p.requestCreditCalldata(proof.proof, proof.instances, attestation({ inputHash: "0x1" })),
          attestationOtherSubject: () =>
            p.requestCreditCalldata(proof.proof, proof.instances, attestation({ subject: "0x" + "11".repeat(20) })),
          attestationShortSignature: () =>
            p.requestCreditCalldata(proof.proof, proof.instances, attestation({}, "0x" + "00".repeat(64))),
        };
        const refused = {};
        for (const [name, call] of Object.entries(cases)) {
          try {
            await call();
            refused[name] = "accepted";
          } catch (e) {
            refused[name] = `${e.name}: ${e.message}`;
          }
        }
        let after;
        try {
          after = (await p.prove(input, { account })).seconds;
        } catch (e) {
          after = `${e.name}: ${e.message}`;
        }
        // the unchanged attestation is taken: the refusals above are the changes
        const attested = (await p.requestCreditCalldata(proof.proof, proof.instances, attestation({}))).startsWith("0x");
        return { refused, after, attested, errors: [] };
      },
      readFileSync(inputFile, "utf8"),
      account
    );
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  }
  if (process.env.SEED) {
    const proof = await page.evaluate(
      async (input, account, seed) => {
        const bytes = Uint8Array.from(seed.slice(2).match(/../g).map((b) => parseInt(b, 16)));
        return window.zkinferPage.prover.prove(input, { account }, { seed: bytes });
      },
      readFileSync(inputFile, "utf8"),
      account,
      process.env.SEED
    );
    process.stdout.write(JSON.stringify({ proof, errors: [] }));
    process.exit(0);
  }
  await page.$eval("#data", (el, v) => (el.value = v), readFileSync(inputFile, "utf8"));
  if (attestationFile) {
    await page.$eval("#attestation", (el, v) => (el.value = v), readFileSync(attestationFile, "utf8"));
  }
  await page.$eval("#account", (el, v) => (el.value = v), account);
  await page.click("#prove");
  await page.waitForFunction(() => window.zkinferPage.calldata || window.zkinferPage.errors.length, { timeout: 300000 });
  if (process.env.RPC_URL && (await page.evaluate(() => !window.zkinferPage.errors.length))) {
    await page.waitForFunction(() => !document.querySelector("#send").disabled, { timeout: 10000 });
    await page.click("#send");
    await page.waitForFunction(() => window.zkinferPage.receipt || window.zkinferPage.errors.length, { timeout: 120000 });
  }
  const result = await page.evaluate(async () => {
    const z = window.zkinferPage;
    let tampered = null;
    let otherAccount = null;
    if (z.proof) {
      // the same proof for another bound account (the last instance): refused too
      const instances = [...z.proof.instances];
      instances[instances.length - 1] = "0x" + "0".repeat(63) + "1";
      try {
        await z.prover.verify(z.proof.proof, instances);
        otherAccount = "accepted";
      } catch (e) {
        otherAccount = e.message;
      }
      // flip one bit in the middle of the proof: the page's own verifier must refuse it
      const hex = z.proof.proof;
      const at = 2 + Math.floor((hex.length - 2) / 4) * 2;
      const flipped = (parseInt(hex.slice(at, at + 2), 16) ^ 1).toString(16).padStart(2, "0");
      const bad = hex.slice(0, at) + flipped + hex.slice(at + 2);
      try {
        await z.prover.verify(bad, z.proof.instances);
        tampered = "accepted";
      } catch (e) {
        tampered = e.message;
      }
      try {
        await z.prover.verify(z.proof.proof, z.proof.instances);
      } catch (e) {
        z.errors.push(`the page refused its own proof: ${e.message}`);
      }
    }
    return {
      proof: z.proof,
      calldata: z.calldata,
      tampered,
      otherAccount,
      errors: z.errors,
      result: document.querySelector("#result").innerText,
      receipt: z.receipt || null,
      threads: z.prover ? z.prover.threads : null,
      hardwareConcurrency: navigator.hardwareConcurrency,
      threadsUnavailable: z.prover ? z.prover.threadsUnavailable || null : null,
      sent: document.querySelector("#sent").innerText,
    };
  });
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
