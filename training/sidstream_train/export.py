"""ONNX export of the encoder and the two decoder graphs, parity vectors and the bundle manifest."""
import hashlib
import json
import os

import numpy as np
import onnx
import torch
from torch import nn

OPSET = 17
BUNDLE_FORMAT = "sidstream-bundle/1"


class EncoderGraph(nn.Module):
    """embedding[B,D] -> codes int64[B,L], residual_norm float[B]; quantization inside the graph."""

    def __init__(self, rqvae):
        super().__init__()
        self.rqvae = rqvae

    def forward(self, embedding):
        z = self.rqvae.encoder(embedding)
        residual = z
        codes = []
        for level in range(self.rqvae.levels):
            book = self.rqvae.codebooks[level]
            dist = (residual.pow(2).sum(1, keepdim=True) - 2 * residual @ book.t()
                    + book.pow(2).sum(1).unsqueeze(0))
            idx = dist.argmin(1)
            codes.append(idx)
            residual = residual - book[idx]
        return torch.stack(codes, 1), residual.norm(dim=1)


def _stamp(path, props):
    model = onnx.load(path)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export_encoder(rqvae, dim, path, props):
    torch.onnx.export(EncoderGraph(rqvae).eval(), (torch.zeros(2, dim),), path,
                      input_names=["embedding"], output_names=["codes", "residual_norm"],
                      dynamic_axes={"embedding": {0: "batch"}, "codes": {0: "batch"},
                                    "residual_norm": {0: "batch"}},
                      opset_version=OPSET)
    _stamp(path, props)


def export_decoder(model, encode_path, step_path, props):
    from .decoder import EncodeHistoryGraph, DecodeStepGraph
    model.eval()
    hist = torch.randint(2, model.layout.vocab_size, (2, 8))
    hist[0, :4] = 0
    torch.onnx.export(EncodeHistoryGraph(model), (hist,), encode_path,
                      input_names=["history_tokens"],
                      output_names=["past_keys", "past_values", "past_mask"],
                      dynamic_axes={"history_tokens": {0: "requests", 1: "history"},
                                    "past_keys": {1: "requests", 3: "history"},
                                    "past_values": {1: "requests", 3: "history"},
                                    "past_mask": {0: "requests", 1: "history"}},
                      opset_version=OPSET)
    _stamp(encode_path, props)
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
    beam = torch.ones(2, 3, 2, dtype=torch.long)
    beam[:, :, 1] = 2 + 5
    torch.onnx.export(DecodeStepGraph(model), (pk, pv, pm, beam), step_path,
                      input_names=["past_keys", "past_values", "past_mask", "beam_tokens"],
                      output_names=["log_probs"],
                      dynamic_axes={"past_keys": {1: "requests", 3: "history"},
                                    "past_values": {1: "requests", 3: "history"},
                                    "past_mask": {0: "requests", 1: "history"},
                                    "beam_tokens": {0: "requests", 1: "beams", 2: "step"},
                                    "log_probs": {0: "requests", 1: "beams"}},
                      opset_version=OPSET)
    _stamp(step_path, props)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def file_entries(out_dir, names):
    return {n: {"sha256": sha256(os.path.join(out_dir, n)),
                "bytes": os.path.getsize(os.path.join(out_dir, n))} for n in names}


def floats(values):
    """Exact float32 values as JSON numbers (a float32 widened to double round-trips exactly)."""
    return [float(v) for v in np.asarray(values, dtype=np.float32).ravel()]
