#!/usr/bin/python3
"""Writes a one-node ONNX graph, A[M,256] x B[256,1024] (B a seeded constant), for measuring this
machine's matmul rate through ONNX Runtime beside the decoder: the width of the reference
decoder's feed-forward layer, the product that dominates its FLOPs.

Usage: bench/matmul_graph.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

k, n = 256, 1024
weights = np.random.default_rng(5).standard_normal((k, n)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["m", k])],
    [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["m", n])],
    [numpy_helper.from_array(weights, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
