"""Writes the ONNX backend test data with the `node` suite included.

The `onnx` wheel ships `pytorch-converted`, `pytorch-operator` and `simple` under
`onnx/backend/test/data/`, but not the per-operator `node` cases; it ships the code that
generates them (`onnx.backend.test.case.node`). This writes those cases to `OUT/node` in the
same layout (model.onnx, test_data_set_N/input_J.pb, output_J.pb), with numpy seeded so the
data is the same on every run, and links the wheel's own suites beside them:

    .venv/bin/python scripts/onnx_node_data.py conformance-data
    zkinfer conformance conformance-data --out conformance

Inputs or outputs that are not tensors (sequences, maps, optionals) are left out; the runner
reports those cases as failing to load. Some cases hold their data as TensorProto already (types
numpy lacks: float16 variants, float8, int4...); those are written as they are.
"""

import os
import sys

import numpy as np

np.random.seed(0)

import onnx.backend.test.case.node as node_cases  # noqa: E402  (seed first: cases draw data on import)
from onnx import TensorProto, numpy_helper  # noqa: E402


def main(out: str) -> None:
    wheel = os.path.join(os.path.dirname(node_cases.__file__), "..", "..", "data")
    os.makedirs(out, exist_ok=True)
    for suite in ("pytorch-converted", "pytorch-operator", "simple"):
        link = os.path.join(out, suite)
        if not os.path.lexists(link):
            os.symlink(os.path.realpath(os.path.join(wheel, suite)), link)
    count = 0
    for case in node_cases.collect_testcases():
        d = os.path.join(out, "node", case.name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds, exist_ok=True)
            graph = case.model.graph
            for kind, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
                for j, v in enumerate(values):
                    if not infos[j].type.HasField("tensor_type"):
                        continue
                    if isinstance(v, np.generic):
                        v = np.asarray(v)
                    if isinstance(v, TensorProto):
                        t = TensorProto()
                        t.CopyFrom(v)
                        t.name = infos[j].name
                    elif isinstance(v, np.ndarray):
                        t = numpy_helper.from_array(v, infos[j].name)
                    else:
                        continue
                    with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(t.SerializeToString())
        count += 1
    print(f"{count} node cases written to {os.path.join(out, 'node')}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: onnx_node_data.py OUT_DIR")
    main(sys.argv[1])
