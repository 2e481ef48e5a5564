#!/usr/bin/env python3
"""Side-by-side benchmark: zkinfer vs EZKL 23.0.5 on the yardstick models, same machine, same run.

Usage (from the repository root):
    python3 -m venv /tmp/ezkl-venv && /tmp/ezkl-venv/bin/pip install ezkl==23.0.5
    cargo build --release
    /tmp/ezkl-venv/bin/python bench/compare_ezkl.py

Writes bench/ezkl.json (EZKL's figures), bench/results.json (zkinfer's, via `zkinfer bench`)
and bench/compare.md (ratios). EZKL runs with input private, output public, params fixed,
calibration target `resources`, and a locally generated SRS (no downloads).
"""
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

MODELS = ["credit_mlp", "mlp_64", "mlp_sigmoid"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def call(x):
    """EZKL functions are sync or async depending on the version."""
    return asyncio.get_event_loop().run_until_complete(x) if asyncio.iscoroutine(x) else x


def ezkl_one(name, runs):
    import ezkl

    model = os.path.join(ROOT, "models", f"{name}.onnx")
    data = os.path.join(ROOT, "models", f"{name}.input.json")
    d = tempfile.mkdtemp(prefix=f"ezkl-{name}-")
    p = lambda f: os.path.join(d, f)
    args = ezkl.PyRunArgs()
    args.input_visibility = "private"
    args.output_visibility = "public"
    args.param_visibility = "fixed"
    assert call(ezkl.gen_settings(model, p("settings.json"), py_run_args=args))
    call(ezkl.calibrate_settings(data, model, p("settings.json"), "resources"))
    assert call(ezkl.compile_circuit(model, p("model.compiled"), p("settings.json")))
    k = json.load(open(p("settings.json")))["run_args"]["logrows"]
    call(ezkl.gen_srs(p("kzg.srs"), k))
    t = time.perf_counter()
    assert call(ezkl.setup(p("model.compiled"), p("vk.key"), p("pk.key"), srs_path=p("kzg.srs")))
    setup_s = time.perf_counter() - t
    call(ezkl.gen_witness(data, p("model.compiled"), p("witness.json")))
    prove_s, verify_s = float("inf"), float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        call(ezkl.prove(p("witness.json"), p("model.compiled"), p("pk.key"), p("proof.json"), srs_path=p("kzg.srs")))
        prove_s = min(prove_s, time.perf_counter() - t)
        t = time.perf_counter()
        assert call(ezkl.verify(p("proof.json"), p("settings.json"), p("vk.key"), srs_path=p("kzg.srs")))
        verify_s = min(verify_s, time.perf_counter() - t)
    proof = json.load(open(p("proof.json")))
    proof_bytes = len(bytes.fromhex(proof["hex_proof"][2:])) if "hex_proof" in proof else len(proof["proof"])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(model=f"{name}.onnx", k=k, setup_seconds=setup_s, prove_seconds=prove_s, verify_seconds=verify_s, proof_bytes=proof_bytes, peak_rss_mb=rss)


def main():
    runs = 3
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(ezkl_one(sys.argv[2], runs)))
        return
    zk = os.path.join(ROOT, "target", "release", "zkinfer")
    subprocess.run([zk, "bench", "--runs", str(runs), "--out", os.path.join(ROOT, "bench", "results.json"), "--quiet"], check=True, cwd=ROOT)
    ours = {r["model"]: r for r in json.load(open(os.path.join(ROOT, "bench", "results.json")))["results"]}
    theirs = {}
    for m in MODELS:
        out = subprocess.run([sys.executable, __file__, "--one", m], check=True, capture_output=True, text=True, cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        theirs[r["model"]] = r
    json.dump({"ezkl_version": "23.0.5", "results": list(theirs.values())}, open(os.path.join(ROOT, "bench", "ezkl.json"), "w"), indent=2)
    lines = [
        "| model | k (zkinfer / EZKL) | setup s | prove s | prove ratio | verify s | proof bytes | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in MODELS:
        a, b = ours[f"{m}.onnx"], theirs[f"{m}.onnx"]
        lines.append(
            f"| {m} | {a['k']} / {b['k']} | {a['setup_seconds']:.2f} / {b['setup_seconds']:.2f} | "
            f"{a['prove_seconds']:.2f} / {b['prove_seconds']:.2f} | {a['prove_seconds'] / b['prove_seconds']:.2f}× | "
            f"{a['verify_seconds']:.3f} / {b['verify_seconds']:.3f} | {a['proof_bytes']} / {b['proof_bytes']} | "
            f"{a['peak_rss_mb']:.0f} / {b['peak_rss_mb']:.0f} |"
        )
    table = "\n".join(lines)
    open(os.path.join(ROOT, "bench", "compare.md"), "w").write(
        "# zkinfer vs EZKL 23.0.5, measured side by side\n\nEach cell: zkinfer / EZKL. Times are the best of "
        f"{runs} runs; setup excludes SRS generation for both.\n\n{table}\n"
    )
    print(table)


if __name__ == "__main__":
    main()
