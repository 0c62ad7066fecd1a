#!/usr/bin/python3
"""Adds the contract-v2 decoder graphs (decode_start, decode_next: a beam-token cache) to a bundle
exported before they existed, without retraining.

The v1 decode_step graph holds every decoder weight, so the PyTorch model is rebuilt from its
initializers (named ones by name; the anonymous matrix multiplications of each block in graph
order: qkv, proj, ff.0, ff.2, transposed back), checked against the bundle's own decoder parity
vectors (the log-probabilities the trainer wrote at export), and exported again as the two cached
graphs. The manifest gains decodeStartFile/decodeNextFile and their checksums; the bundle version,
which is derived from the encoder and the v1 graphs, does not change.

Usage: training/cached_decoder.py --bundle models/default
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidstream_train import export  # noqa: E402
from sidstream_train.decoder import SidDecoder, TokenLayout  # noqa: E402

START_FILE, NEXT_FILE = "decoder_decode_start.onnx", "decoder_decode_next.onnx"


def rebuild(bundle, manifest):
    sid, dec = manifest["sid"], manifest["decoder"]
    layout = TokenLayout(sid["levels"], sid["codebookSize"], sid["collisionCodes"])
    graph = onnx.load(os.path.join(bundle, dec["decodeStepFile"])).graph
    named = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    ff = named["model.blocks.0.ff.0.bias"].shape[0]
    model = SidDecoder(layout, dec["dModel"], dec["layers"], dec["heads"], ff, dec["maxHistoryItems"]).eval()
    state = model.state_dict()
    loaded = {}
    for key in state:
        if "model." + key in named:
            loaded[key] = torch.from_numpy(named["model." + key].copy())
    anonymous = [n for n in (i.name for i in graph.initializer) if not n.startswith("model.")]
    order = [f"blocks.{b}.{m}.weight" for b in range(dec["layers"]) for m in ("qkv", "proj", "ff.0", "ff.2")]
    if len(anonymous) != len(order):
        sys.exit(f"{dec['decodeStepFile']}: {len(anonymous)} unnamed weights, expected {len(order)}")
    for name, key in zip(anonymous, order):
        weight = torch.from_numpy(named[name].T.copy())
        if tuple(weight.shape) != tuple(state[key].shape):
            sys.exit(f"{name} has shape {tuple(weight.shape)}, {key} needs {tuple(state[key].shape)}")
        loaded[key] = weight
    missing = sorted(set(state) - set(loaded))
    if missing:
        sys.exit(f"no weights found for {missing}")
    model.load_state_dict(loaded)
    return model


def check_parity(model, parity):
    vectors = parity["decoder"]
    hist = torch.tensor(vectors["history_tokens"], dtype=torch.long)
    worst = 0.0
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
        for step in vectors["steps"]:
            lp = model.decode_step(pk, pv, pm, torch.tensor(step["beam_tokens"], dtype=torch.long)).numpy()
            want = np.array(step["log_probs"], dtype=np.float32).reshape(lp.shape)
            worst = max(worst, float(np.abs(lp - want).max()))
    if worst > vectors["tolerance"]:
        sys.exit(f"the rebuilt decoder differs from the bundle's parity vectors by {worst}")
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True)
    args = p.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(args.bundle, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(args.bundle, manifest["parityFile"]), encoding="utf-8") as f:
        parity = json.load(f)
    model = rebuild(args.bundle, manifest)
    worst = check_parity(model, parity)
    sid = manifest["sid"]
    props = {"sidstream.levels": sid["levels"], "sidstream.codebook_size": sid["codebookSize"],
             "sidstream.vocab_size": manifest["tokens"]["vocabSize"]}
    export.export_cached_decoder(model, os.path.join(args.bundle, START_FILE),
                                 os.path.join(args.bundle, NEXT_FILE), props)
    manifest["decoder"] = {**manifest["decoder"], "decodeStartFile": START_FILE, "decodeNextFile": NEXT_FILE}
    manifest["files"] = {**manifest["files"], **export.file_entries(args.bundle, [START_FILE, NEXT_FILE])}
    with open(os.path.join(args.bundle, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)  # as the tokenizer step leaves it: a small diff
        f.write("\n")
    print(f"rebuilt decoder matches the parity vectors within {worst:.2e}; "
          f"wrote {START_FILE} and {NEXT_FILE} to {args.bundle}", flush=True)


if __name__ == "__main__":
    main()
