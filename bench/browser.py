#!/usr/bin/env python3
"""The credit proof in headless Chromium next to the native CLI, and what the page downloads.

Usage (from the repository root, after `cargo build --release`, `bash scripts/build-web` and
`npm install`; needs Debian's chromium):
    python3 bench/browser.py [--runs 5]

Builds the attested-credit model (`--input hashed --bind account`, dev SRS) in a temporary
directory, exports it with `export-web`, serves web/ and the bundle over HTTP, and proves `runs`
times in the page (tests/browser/drive.mjs; one page load per run, the time measured in the
worker around the wasm `prove` call) and `runs` times with `zkinfer prove` (its `prove_seconds`,
two threads). Writes bench/browser.json: medians and every run, the wasm and bundle file sizes.
"""
import argparse
import functools
import http.server
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Z = os.path.join(ROOT, "target", "release", "zkinfer")
BORROWER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def zk(*args):
    out = subprocess.run([Z, *args, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"zkinfer {' '.join(args)} failed: {out.stdout}{out.stderr}")
    return json.loads(out.stdout)


def chromium():
    for p in [os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]:
        if p and os.path.exists(p):
            return p
    raise SystemExit("no chromium (apt-get install chromium, or set CHROMIUM)")


def main():
    global Z
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--zkinfer", default=Z, help="the zkinfer binary (default target/release/zkinfer)")
    a = ap.parse_args()
    Z = a.zkinfer
    if not os.path.exists(Z):
        raise SystemExit(f"no {Z}: cargo build --release (or pass --zkinfer)")
    if not os.path.exists(os.path.join(ROOT, "web", "pkg", "zkinfer_wasm_bg.wasm")):
        raise SystemExit("web/pkg is not built: bash scripts/build-web")
    work = tempfile.mkdtemp()
    try:
        build = os.path.join(work, "credit")
        data = os.path.join(ROOT, "models", "credit_mlp.input.json")
        zk("compile", os.path.join(ROOT, "models", "credit_mlp.onnx"), "--data", data, "--input", "hashed", "--bind", "account", "--out", build)
        zk("setup", build, "--dev-srs")
        site = os.path.join(work, "site")
        shutil.copytree(os.path.join(ROOT, "web", "pkg"), os.path.join(site, "pkg"))
        for f in ["index.html", "zkinfer.js", "worker.js"]:
            shutil.copy(os.path.join(ROOT, "web", f), site)
        zk("export-web", build, "--out", os.path.join(site, "bundle"))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        browser, native = [], []
        for _ in range(a.runs):
            out = subprocess.run(
                ["node", os.path.join(ROOT, "tests", "browser", "drive.mjs"), url, chromium(), data, BORROWER],
                capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                raise SystemExit(f"the page run failed: {out.stderr}")
            browser.append(json.loads(out.stdout)["proof"]["seconds"])
            p = zk("prove", build, "--input", data, "--bind", f"account={BORROWER}", "--out", os.path.join(work, "proof.json"))
            native.append(p["prove_seconds"])
        server.shutdown()
        size = lambda *p: os.path.getsize(os.path.join(site, *p))
        result = {
            "model": "credit_mlp (Gemm 10→32, Relu, Gemm 32→1), input hashed, account bound",
            "k": json.load(open(os.path.join(site, "bundle", "zkinfer-web.json")))["k"],
            "runs": a.runs,
            "browser_prove_seconds_median": statistics.median(browser),
            "native_prove_seconds_median": statistics.median(native),
            "browser_over_native": statistics.median(browser) / statistics.median(native),
            "browser_prove_seconds": browser,
            "native_prove_seconds": native,
            "browser": "headless Chromium (Debian chromium), one thread, in a Web Worker",
            "native": "zkinfer prove, two threads",
            "native_binary": os.path.relpath(Z, ROOT),
            "bytes": {
                "wasm": size("pkg", "zkinfer_wasm_bg.wasm"),
                "js_glue": size("pkg", "zkinfer_wasm.js"),
                "pk": size("bundle", "pk.bin"),
                "srs": size("bundle", "kzg.srs"),
                "program": size("bundle", "program.json"),
                "manifest": size("bundle", "zkinfer-web.json"),
            },
        }
        with open(os.path.join(ROOT, "bench", "browser.json"), "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
