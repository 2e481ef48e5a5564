#!/usr/bin/env python3
"""The credit proof in headless Chromium next to the native CLI, and what the page downloads.

Usage (from the repository root, after `cargo build --release`, `bash scripts/build-web` and
`npm install`; needs Debian's chromium):
    python3 bench/browser.py [--runs 5]

Builds the attested-credit model (`--input hashed --bind account`, dev SRS) in a temporary
directory, exports it with `export-web`, serves web/ and the bundle over HTTP, and proves `runs`
times in the page on one thread (web/pkg; the page served without cross-origin isolation) and
`runs` times on threads (web/pkg-threads; served with COOP/COEP, so the page is cross-origin
isolated and proves on every core), each run a fresh page load and its first proof
(tests/browser/drive.mjs; the time measured in the worker around the wasm `prove` call, which
includes the prover's own check of the proof), and `runs` times with `zkinfer prove` (its
`prove_seconds`, two threads). Writes bench/browser.json: medians and every run, the wasm and
bundle file sizes.
"""
import argparse
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


def handler(site, isolated):
    """Static files from `site`; `isolated`: with the COOP/COEP headers shared memory needs."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=site, **kwargs)

        def end_headers(self):
            if isolated:
                self.send_header("Cross-Origin-Opener-Policy", "same-origin")
                self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            super().end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    global Z
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--zkinfer", default=Z, help="the zkinfer binary (default target/release/zkinfer)")
    a = ap.parse_args()
    Z = a.zkinfer
    if not os.path.exists(Z):
        raise SystemExit(f"no {Z}: cargo build --release (or pass --zkinfer)")
    for pkg in ["pkg", "pkg-threads"]:
        if not os.path.exists(os.path.join(ROOT, "web", pkg, "zkinfer_wasm_bg.wasm")):
            raise SystemExit(f"web/{pkg} is not built: bash scripts/build-web")
    work = tempfile.mkdtemp()
    try:
        build = os.path.join(work, "credit")
        data = os.path.join(ROOT, "models", "credit_mlp.input.json")
        zk("compile", os.path.join(ROOT, "models", "credit_mlp.onnx"), "--data", data, "--input", "hashed", "--bind", "account", "--out", build)
        zk("setup", build, "--dev-srs")
        site = os.path.join(work, "site")
        for pkg in ["pkg", "pkg-threads"]:
            shutil.copytree(os.path.join(ROOT, "web", pkg), os.path.join(site, pkg))
        for f in ["index.html", "zkinfer.js", "worker.js"]:
            shutil.copy(os.path.join(ROOT, "web", f), site)
        zk("export-web", build, "--out", os.path.join(site, "bundle"))
        urls, servers = {}, []
        for isolated in (False, True):
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(site, isolated))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            urls[isolated] = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        browser, threaded, threads, native = [], [], None, []
        for _ in range(a.runs):
            for isolated in (False, True):
                out = subprocess.run(
                    ["node", os.path.join(ROOT, "tests", "browser", "drive.mjs"), urls[isolated], chromium(), data, BORROWER],
                    capture_output=True, text=True, cwd=ROOT)
                if out.returncode != 0:
                    raise SystemExit(f"the page run failed: {out.stderr}")
                page = json.loads(out.stdout)
                if page["errors"]:
                    raise SystemExit(f"the page run failed: {page['errors']}")
                if isolated:
                    if page["threads"] < 2:
                        raise SystemExit(f"the isolated page proved on one thread: {page.get('threadsUnavailable')}")
                    threaded.append(page["proof"]["seconds"])
                    threads = page["threads"]
                else:
                    assert page["threads"] == 1, page["threads"]
                    browser.append(page["proof"]["seconds"])
            p = zk("prove", build, "--input", data, "--bind", f"account={BORROWER}", "--out", os.path.join(work, "proof.json"))
            native.append(p["prove_seconds"])
        for server in servers:
            server.shutdown()
        size = lambda *p: os.path.getsize(os.path.join(site, *p))
        result = {
            "model": "credit_mlp (Gemm 10→32, Relu, Gemm 32→1), input hashed, account bound",
            "k": json.load(open(os.path.join(site, "bundle", "zkinfer-web.json")))["k"],
            "runs": a.runs,
            "browser_prove_seconds_median": statistics.median(browser),
            "browser_threads_prove_seconds_median": statistics.median(threaded),
            "browser_threads": threads,
            "native_prove_seconds_median": statistics.median(native),
            "browser_over_native": statistics.median(browser) / statistics.median(native),
            "browser_threads_over_native": statistics.median(threaded) / statistics.median(native),
            "browser_prove_seconds": browser,
            "browser_threads_prove_seconds": threaded,
            "native_prove_seconds": native,
            "browser": "headless Chromium (Debian chromium), in a Web Worker; each run a fresh page load and its first proof",
            "native": "zkinfer prove, two threads",
            "native_binary": os.path.relpath(Z, ROOT),
            "bytes": {
                "wasm": size("pkg", "zkinfer_wasm_bg.wasm"),
                "wasm_threads": size("pkg-threads", "zkinfer_wasm_bg.wasm"),
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
