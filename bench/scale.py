#!/usr/bin/env python3
"""Size sweep: dense nets of width 64–1024, LeNet-5 and a 268k-parameter CNN, zkinfer and
(optionally) EZKL 23.0.5 side by side on this machine, one step per child process.

Usage (from the repository root; the project's .venv has onnx, numpy and onnxruntime):
    cargo build --release
    .venv/bin/python bench/scale.py [--models dense_64,lenet5] [--ezkl-python /tmp/ezkl-venv/bin/python]

EZKL's own example models (their repository's examples/onnx/<name>/network.onnx and
input.json) run the same way with `--examples DIR --models lstm,gru,rnn,self_attention --out
bench/examples.json` (DIR: that examples/onnx folder); `--zkinfer PATH` picks the binary.

Writes bench/scale.json. Per model and tool: k, rows (zkinfer), compile / setup (key
generation; the SRS is made beforehand and not counted) / prove / verify seconds, peak RSS of
each step (its own process), and the proven outputs' error against onnxruntime's float outputs
(largest absolute error over the largest float magnitude). zkinfer's figures sit next to its own
pre-proof estimate (`compile`'s `estimate`). EZKL runs with input private, output public, params
fixed, calibration target `resources`, and a locally generated SRS; a step it does not finish
within `--ezkl-timeout` seconds (default 1800) is recorded as such.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL = ["dense_64", "dense_256", "dense_512", "dense_1024", "lenet5", "cnn_268k"]


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run_rss(cmd, timeout=None):
    """Runs cmd in a child process; returns (stdout, seconds, peak RSS MB, 0 or the error).

    The peak comes from GNU time when installed (Debian's `time`); otherwise from os.wait4,
    whose figure also counts the forked Python before the exec (~60 MB floor)."""
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "__peak_kb__ %M", *cmd]
    t = time.perf_counter()
    out_path = os.path.join(WORK, "stdout.tmp")
    err_path = os.path.join(WORK, "stderr.tmp")
    with open(out_path, "wb") as o, open(err_path, "wb") as e:
        p = subprocess.Popen(cmd, stdout=o, stderr=e, cwd=ROOT)
        deadline = None if timeout is None else time.time() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.time() > deadline:
                p.kill()
                os.wait4(p.pid, 0)
                return None, time.perf_counter() - t, 0.0, "timeout"
            time.sleep(0.05)
    seconds = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    out = open(out_path, "rb").read()
    err = open(err_path, "rb").read().decode(errors="replace")
    peak = ru.ru_maxrss / 1024
    if GNU_TIME:
        lines = [l for l in err.splitlines() if l.startswith("__peak_kb__ ")]
        if lines:
            peak = int(lines[-1].split()[1]) / 1024
        err = "\n".join(l for l in err.splitlines() if not l.startswith("__peak_kb__ ") and not l.startswith("Command exited"))
    if code != 0:
        return out, seconds, peak, err[-2000:] or code
    return out, seconds, peak, 0


def float_outputs(model, sample):
    import numpy as np
    import onnxruntime as ort

    try:
        s = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    except Exception:
        # onnxruntime 1.32 refuses some exports (a float `Equal` in EZKL's self-attention
        # example): the onnx package's reference evaluator runs them (the `output_data` in that
        # example's input.json does not match its network.onnx, so it is not used)
        import onnx
        from onnx.reference import ReferenceEvaluator

        m = onnx.load(model)
        init = {i.name for i in m.graph.initializer}
        inp = next(i for i in m.graph.input if i.name not in init)
        dims = [d.dim_value or 1 for d in inp.type.tensor_type.shape.dim]
        x = np.array(sample, dtype=np.float32).reshape(dims)
        return [float(v) for v in ReferenceEvaluator(m).run(None, {inp.name: x})[0].reshape(-1)]
    inp = s.get_inputs()[0]
    x = np.array(sample, dtype=np.float32).reshape([d if isinstance(d, int) else 1 for d in inp.shape])
    return [float(v) for v in s.run(None, {inp.name: x})[0].reshape(-1)]


def rel_error(proven, floats):
    big = max(abs(v) for v in floats) or 1.0
    return max(abs(a - b) for a, b in zip(proven, floats)) / big


def zkinfer_one(name, zk, models, floats):
    d = os.path.join(WORK, f"zk-{name}")
    onnx, data, sample = (os.path.join(models, f"{name}{s}") for s in (".onnx", ".input.json", ".sample.json"))
    r = {"tool": "zkinfer", "model": name}
    out, s, rss, code = run_rss([zk, "--json", "compile", onnx, "--data", data, "--out", d])
    if code != 0:
        return {**r, "failed": "compile", "error": str(code)}
    c = json.loads(out)
    r.update(k=c["k"], rows=c["rows"], table_rows=c["table_rows"], shape=c["shape"], input_scale=c["input_scale"],
             compile_seconds=s, compile_peak_mb=rss, estimate=c["estimate"], above_max_k=c.get("above_max_k"))
    # the SRS of this size first (cached; not counted), then key generation alone
    run_rss([zk, "--quiet", "setup", d, "--dev-srs"])
    out, s, rss, code = run_rss([zk, "--json", "setup", d, "--dev-srs"])
    if code != 0:
        return {**r, "failed": "setup", "error": str(code)}
    r.update(setup_seconds=json.loads(out)["keygen_seconds"], setup_wall_seconds=s, setup_peak_mb=rss)
    proof = os.path.join(d, "proof.json")
    out, s, rss, code = run_rss([zk, "--json", "prove", d, "--input", sample, "--out", proof])
    if code != 0:
        return {**r, "failed": "prove", "error": str(code)}
    p = json.loads(out)
    r.update(prove_seconds=p.get("prove_seconds", s), prove_wall_seconds=s, prove_peak_mb=rss)
    out, s, rss, code = run_rss([zk, "--json", "verify", d, proof])
    if code != 0:
        return {**r, "failed": "verify", "error": str(code)}
    v = json.loads(out)
    r.update(verify_seconds=s, verified=v.get("verified", False), proof_bytes=os.path.getsize(proof))
    proven = json.load(open(proof))["outputs"][0]["values"]
    r.update(output_rel_error=rel_error(proven, floats))
    return r


EZKL_CHILD = r"""
import asyncio, json, sys, time, resource
import ezkl
step, model, data, d = sys.argv[1:5]
call = lambda x: asyncio.get_event_loop().run_until_complete(x) if asyncio.iscoroutine(x) else x
p = lambda f: d + "/" + f
t = time.perf_counter()
out = {}
if step == "compile":
    args = ezkl.PyRunArgs()
    args.input_visibility = "private"; args.output_visibility = "public"; args.param_visibility = "fixed"
    assert call(ezkl.gen_settings(model, p("settings.json"), py_run_args=args))
    call(ezkl.calibrate_settings(data, model, p("settings.json"), "resources"))
    assert call(ezkl.compile_circuit(model, p("model.compiled"), p("settings.json")))
    out["k"] = json.load(open(p("settings.json")))["run_args"]["logrows"]
elif step == "srs":
    k = json.load(open(p("settings.json")))["run_args"]["logrows"]
    call(ezkl.gen_srs(p("kzg.srs"), k))
elif step == "setup":
    assert call(ezkl.setup(p("model.compiled"), p("vk.key"), p("pk.key"), srs_path=p("kzg.srs")))
elif step == "prove":
    call(ezkl.gen_witness(data, p("model.compiled"), p("witness.json")))
    t = time.perf_counter()
    call(ezkl.prove(p("witness.json"), p("model.compiled"), p("pk.key"), p("proof.json"), srs_path=p("kzg.srs")))
    w = json.load(open(p("witness.json")))
    out["outputs"] = [float(v) for v in w["pretty_elements"]["rescaled_outputs"][0]]
elif step == "verify":
    assert call(ezkl.verify(p("proof.json"), p("settings.json"), p("vk.key"), srs_path=p("kzg.srs")))
out["seconds"] = time.perf_counter() - t
print(json.dumps(out))
"""


def ezkl_one(name, py, models, floats, timeout):
    d = os.path.join(WORK, f"ezkl-{name}")
    os.makedirs(d, exist_ok=True)
    onnx, sample = (os.path.join(models, f"{name}{s}") for s in (".onnx", ".sample.json"))
    child = os.path.join(WORK, "ezkl_child.py")
    open(child, "w").write(EZKL_CHILD)
    r = {"tool": "ezkl 23.0.5", "model": name}
    for step in ["compile", "srs", "setup", "prove", "verify"]:
        out, s, rss, code = run_rss([py, child, step, onnx, sample, d], timeout=timeout)
        if code != 0:
            return {**r, "failed": step, "error": str(code)[-500:]}
        o = json.loads(out.decode().strip().splitlines()[-1])
        if step == "srs":
            continue
        r[f"{step}_seconds"] = o["seconds"]
        r[f"{step}_peak_mb"] = rss
        if step == "compile":
            r["k"] = o["k"]
        if step == "prove":
            r["output_rel_error"] = rel_error(o["outputs"], floats)
            r["proof_bytes"] = len(bytes.fromhex(json.load(open(os.path.join(d, "proof.json")))["hex_proof"][2:]))
    return r


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(ALL))
    ap.add_argument("--ezkl-python", help="python of a venv with ezkl==23.0.5 (omit: zkinfer only)")
    ap.add_argument("--ezkl-timeout", type=int, default=1800)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "scale.json"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench-scale"))
    ap.add_argument("--examples", help="EZKL's examples/onnx folder: --models names its subfolders")
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"), help="the zkinfer binary")
    a = ap.parse_args()
    WORK = os.path.abspath(a.work)
    models = os.path.join(WORK, "models")
    os.makedirs(models, exist_ok=True)
    names = a.models.split(",")
    if a.examples:
        for name in names:
            src = os.path.join(a.examples, name)
            shutil.copy(os.path.join(src, "network.onnx"), os.path.join(models, f"{name}.onnx"))
            for suffix in (".input.json", ".sample.json"):
                shutil.copy(os.path.join(src, "input.json"), os.path.join(models, f"{name}{suffix}"))
    else:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "scale_models.py"), models, *names], check=True, stdout=subprocess.DEVNULL)
    zk = os.path.abspath(a.zkinfer)
    results = []
    if os.path.exists(a.out):
        results = [r for r in json.load(open(a.out))["results"] if r["model"] not in names or (r["tool"] != "zkinfer" and not a.ezkl_python)]
    for name in names:
        sample = json.load(open(os.path.join(models, f"{name}.sample.json")))["input_data"][0]
        floats = float_outputs(os.path.join(models, f"{name}.onnx"), sample)
        r = zkinfer_one(name, zk, models, floats)
        print(json.dumps(r), flush=True)
        results.append(r)
        if a.ezkl_python:
            r = ezkl_one(name, a.ezkl_python, models, floats, a.ezkl_timeout)
            print(json.dumps(r), flush=True)
            results.append(r)
        machine = {"cpus": os.cpu_count()}
        json.dump({"machine": machine, "results": results}, open(a.out, "w"), indent=2)
    open(os.path.splitext(a.out)[0] + ".md", "w").write(table(results))


def table(results):
    """The side-by-side table of bench/scale.md."""
    by = {(r["tool"].split()[0], r["model"]): r for r in results}
    lines = [
        "| model | k (zkinfer / EZKL) | terms/row | keygen s | prove s | prove ratio | prove peak MB | output error |",
        "|---|---|---|---|---|---|---|---|",
    ]
    pct = lambda r: f"{100 * r['output_rel_error']:.2f}%" if r and "output_rel_error" in r else "–"
    f = lambda r, key, fmt: (fmt % r[key]) if r and key in r else ("failed: " + r["failed"] if r and "failed" in r else "–")
    names = list(dict.fromkeys([n for n in ALL if ("zkinfer", n) in by] + [r["model"] for r in results]))
    for name in names:
        z, e = by.get(("zkinfer", name)), by.get(("ezkl", name))
        if not z:
            continue
        ratio = f"{z['prove_seconds'] / e['prove_seconds']:.2f}×" if e and "prove_seconds" in e and "prove_seconds" in z else "–"
        lines.append(
            f"| {name} | {z.get('k', '–')} / {e.get('k', '–') if e else '–'} | {(z.get('shape') or {}).get('terms') or (2 if (z.get('shape') or {}).get('wide') else 1)} | "
            f"{f(z, 'setup_seconds', '%.1f')} / {f(e, 'setup_seconds', '%.1f')} | {f(z, 'prove_seconds', '%.1f')} / {f(e, 'prove_seconds', '%.1f')} | {ratio} | "
            f"{f(z, 'prove_peak_mb', '%.0f')} / {f(e, 'prove_peak_mb', '%.0f')} | {pct(z)} / {pct(e)} |"
        )
    return "# Size sweep, zkinfer / EZKL 23.0.5 side by side (bench/scale.py)\n\n" + "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
