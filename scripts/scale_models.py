#!/usr/bin/env python3
"""Writes the models of the size sweep (bench/scale.sh) as ONNX with seeded weights.

    .venv/bin/python scripts/scale_models.py OUT_DIR [NAME ...]

Models (each MODEL.onnx, MODEL.input.json: 8 seeded samples back to back, for calibration, and
MODEL.sample.json: the first of them, the one proved):
  dense_64, dense_256, dense_512, dense_1024   W-W-W-10 ReLU nets on W inputs (2W² + 10W params)
  lenet5                                        LeNet-5 on 1×28×28 (≈ 62k params)
  cnn_268k                                      CIFAR-like CNN on 3×32×32: 2 conv + 2 fc (≈ 268k)

Weights are He-scaled normals from numpy's seeded generator, so activations stay of order one
through the layers as in a trained net. Only `onnx` and `numpy` are needed.
"""

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class Net:
    """A sequential ONNX graph under construction."""

    def __init__(self, name, input_shape, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.cur, self.n = "input", 0
        self.input_shape = input_shape
        self.params = 0

    def _fresh(self, what):
        self.n += 1
        return f"{what}{self.n}"

    def _weight(self, shape, fan_in):
        w = (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
        name = self._fresh("w")
        self.inits.append(numpy_helper.from_array(w, name))
        self.params += w.size
        return name

    def _bias(self, size):
        b = (self.rng.standard_normal(size) * 0.05).astype(np.float32)
        name = self._fresh("b")
        self.inits.append(numpy_helper.from_array(b, name))
        self.params += b.size
        return name

    def op(self, kind, *extra_inputs, **attrs):
        out = self._fresh(kind.lower())
        self.nodes.append(helper.make_node(kind, [self.cur, *extra_inputs], [out], **attrs))
        self.cur = out

    def gemm(self, n_in, n_out):
        self.op("Gemm", self._weight((n_out, n_in), n_in), self._bias(n_out), transB=1)

    def conv(self, c_in, c_out, kernel, pad=0):
        w = self._weight((c_out, c_in, kernel, kernel), c_in * kernel * kernel)
        # strides and dilations spelt out: EZKL's importer requires them
        self.op("Conv", w, self._bias(c_out), kernel_shape=[kernel, kernel], pads=[pad] * 4, strides=[1, 1], dilations=[1, 1])

    def flatten(self):
        self.op("Flatten", axis=1)

    def model(self, out_size):
        x = helper.make_tensor_value_info("input", TensorProto.FLOAT, self.input_shape)
        y = helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, [1, out_size])
        graph = helper.make_graph(self.nodes, self.name, [x], [y], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def dense(width):
    net = Net(f"dense_{width}", [1, width], seed=width)
    net.gemm(width, width)
    net.op("Relu")
    net.gemm(width, width)
    net.op("Relu")
    net.gemm(width, 10)
    return net, 10


def lenet5():
    net = Net("lenet5", [1, 1, 28, 28], seed=5)
    net.conv(1, 6, 5, pad=2)
    net.op("Relu")
    net.op("AveragePool", kernel_shape=[2, 2], strides=[2, 2])
    net.conv(6, 16, 5)
    net.op("Relu")
    net.op("AveragePool", kernel_shape=[2, 2], strides=[2, 2])
    net.flatten()
    net.gemm(400, 120)
    net.op("Relu")
    net.gemm(120, 84)
    net.op("Relu")
    net.gemm(84, 10)
    return net, 10


def cnn_268k():
    net = Net("cnn_268k", [1, 3, 32, 32], seed=268)
    net.conv(3, 16, 5)  # 28×28
    net.op("Relu")
    net.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2])  # 14×14
    net.conv(16, 32, 5)  # 10×10
    net.op("Relu")
    net.op("MaxPool", kernel_shape=[2, 2], strides=[2, 2])  # 5×5
    net.flatten()
    net.gemm(800, 312)
    net.op("Relu")
    net.gemm(312, 10)
    return net, 10


MODELS = {
    "dense_64": lambda: dense(64),
    "dense_256": lambda: dense(256),
    "dense_512": lambda: dense(512),
    "dense_1024": lambda: dense(1024),
    "lenet5": lenet5,
    "cnn_268k": cnn_268k,
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    names = sys.argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {list(MODELS)}")
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        net, _ = MODELS[name]()
        m = net.model(10)
        onnx.save(m, out / f"{name}.onnx")
        rng = np.random.default_rng(1000 + len(name))
        size = int(np.prod(net.input_shape))
        samples = rng.uniform(-1.0, 1.0, 8 * size).round(4).tolist()  # 8 samples back to back
        (out / f"{name}.input.json").write_text(json.dumps({"input_data": [samples]}))
        (out / f"{name}.sample.json").write_text(json.dumps({"input_data": [samples[:size]]}))
        print(f"{name}: {net.params} params -> {out / (name + '.onnx')}")


if __name__ == "__main__":
    main()
