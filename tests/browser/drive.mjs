// Drives web/index.html in headless Chromium (puppeteer-core; Debian's chromium): fills in the
// features and the account, clicks Prove, and prints what the page made as JSON on stdout:
// {proof, calldata, tampered (the page's verify of a tampered proof), errors}.
// Usage: node drive.mjs URL CHROMIUM INPUT_FILE ACCOUNT [ATTESTATION_FILE]
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
  await page.goto(url);
  await page.waitForFunction(() => window.zkinferPage && (window.zkinferPage.ready || window.zkinferPage.errors.length), {
    timeout: 180000,
  });
  const loadErrors = await page.evaluate(() => window.zkinferPage.errors);
  if (loadErrors.length) throw new Error(`the page did not load the bundle: ${loadErrors.join("; ")}`);
  await page.$eval("#data", (el, v) => (el.value = v), readFileSync(inputFile, "utf8"));
  if (attestationFile) {
    await page.$eval("#attestation", (el, v) => (el.value = v), readFileSync(attestationFile, "utf8"));
  }
  await page.$eval("#account", (el, v) => (el.value = v), account);
  await page.click("#prove");
  await page.waitForFunction(() => window.zkinferPage.calldata || window.zkinferPage.errors.length, { timeout: 300000 });
  const result = await page.evaluate(async () => {
    const z = window.zkinferPage;
    let tampered = null;
    if (z.proof) {
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
    return { proof: z.proof, calldata: z.calldata, tampered, errors: z.errors, result: document.querySelector("#result").innerText };
  });
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
