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


def check_cached_decoder(model, tolerance=1e-4, seed=0):
    """decode_start/decode_next against decode_step on beams that reorder and repeat their parents;
    returns the largest difference, raising when it exceeds the tolerance."""
    g = torch.Generator().manual_seed(seed)
    lay = model.layout
    r, widths = 3, [1, 4, 6, 5][:lay.levels + 1]
    hist = torch.randint(2, lay.vocab_size, (r, 3 * (lay.levels + 1)), generator=g)
    hist[0, :lay.levels + 1] = 0
    worst = 0.0
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
        lp, bk, bv = model.decode_start(pk, pv, pm)
        tokens = torch.ones(r, 1, 1, dtype=torch.long)
        worst = max(worst, float((lp - model.decode_step(pk, pv, pm, tokens)).abs().max()))
        for level in range(1, lay.levels):
            w_prev, w = widths[level - 1], widths[level]
            parents = torch.randint(0, w_prev, (r, w), generator=g)
            codes = torch.randint(0, lay.codebook_size, (r, w), generator=g) + lay.level_offsets[level - 1]
            lp, bk, bv = model.decode_next(pk, pv, pm, bk, bv, parents, codes)
            tokens = torch.gather(tokens, 1, parents.unsqueeze(2).expand(r, w, tokens.shape[2]))
            tokens = torch.cat([tokens, codes.unsqueeze(2)], 2)
            worst = max(worst, float((lp - model.decode_step(pk, pv, pm, tokens)).abs().max()))
    if worst > tolerance:
        raise AssertionError(f"decode_next differs from decode_step by {worst}")
    return worst


def export_cached_decoder(model, start_path, next_path, props):
    """Contract v2: decode_start and decode_next, the beam search with a beam-token cache."""
    from .decoder import DecodeStartGraph, DecodeNextGraph
    model.eval()
    check_cached_decoder(model)
    hist = torch.randint(2, model.layout.vocab_size, (2, 8))
    hist[0, :4] = 0
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
        _, bk, bv = model.decode_start(pk, pv, pm)
    past_axes = {"past_keys": {1: "requests", 3: "history"},
                 "past_values": {1: "requests", 3: "history"},
                 "past_mask": {0: "requests", 1: "history"}}
    torch.onnx.export(DecodeStartGraph(model), (pk, pv, pm), start_path,
                      input_names=["past_keys", "past_values", "past_mask"],
                      output_names=["log_probs", "next_beam_keys", "next_beam_values"],
                      dynamic_axes={**past_axes, "log_probs": {0: "requests"},
                                    "next_beam_keys": {1: "requests"}, "next_beam_values": {1: "requests"}},
                      opset_version=OPSET)
    _stamp(start_path, {**props, "sidstream.graph": "decoder-v2"})
    beams = 3
    parents = torch.zeros(2, beams, dtype=torch.long)
    tokens = torch.full((2, beams), 2 + 5, dtype=torch.long)
    beam_axes = {1: "requests", 2: "previous_beams", 4: "previous_steps"}
    out_axes = {1: "requests", 2: "beams", 4: "steps"}
    torch.onnx.export(DecodeNextGraph(model), (pk, pv, pm, bk, bv, parents, tokens), next_path,
                      input_names=["past_keys", "past_values", "past_mask", "beam_keys", "beam_values",
                                   "parents", "new_tokens"],
                      output_names=["log_probs", "next_beam_keys", "next_beam_values"],
                      dynamic_axes={**past_axes, "beam_keys": beam_axes, "beam_values": beam_axes,
                                    "parents": {0: "requests", 1: "beams"},
                                    "new_tokens": {0: "requests", 1: "beams"},
                                    "log_probs": {0: "requests", 1: "beams"},
                                    "next_beam_keys": out_axes, "next_beam_values": out_axes},
                      opset_version=OPSET)
    _stamp(next_path, {**props, "sidstream.graph": "decoder-v2"})


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
