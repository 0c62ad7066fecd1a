#!/usr/bin/python3
"""Derives a benchmark bundle of another decoder shape from an existing bundle.

Serving latency depends on the decoder's shape (layers, width, history length, beam), not on what
its weights learned, so the reference shape of the retrieval benchmark (4 layers, d=256, 50
history items) is exported with seeded random weights instead of being trained for hours on two
cores. Everything else (RQ-VAE encoder, item SIDs, encoder parity vectors) is taken from the
source bundle; the decoder and beam-search parity vectors are regenerated for the new weights, so
`./sidstream bundle verify` still proves that Java reproduces PyTorch on it. Such a bundle
recommends nonsense: its version says "shape-", and its manifest carries no quality metrics.

Usage: training/shape_bundle.py --from models/default --out bench/target/bundle-d256-l4-h50
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidstream_train import export  # noqa: E402
from sidstream_train.search_graph import add_search_graph  # noqa: E402
from sidstream_train.beam import SidIndex, beam_search, history_tokens  # noqa: E402
from sidstream_train.decoder import SidDecoder, TokenLayout  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="source", required=True, help="bundle whose encoder and item SIDs to reuse")
    p.add_argument("--out", required=True, help="bundle directory to (re)write")
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=1024)
    p.add_argument("--max-history", type=int, default=50)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_args()


def read_item_sids(path, levels):
    item_ids, sids, collisions = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            item, codes = line.rstrip("\n").split("\t")
            values = [int(c) for c in codes.split(" ")]
            item_ids.append(item)
            sids.append(values[:levels])
            collisions.append(values[levels])
    return item_ids, np.array(sids, dtype=np.int64), np.array(collisions, dtype=np.int64)


def decoder_parity(model, index, item_ids, sids, collisions, max_history, seed):
    """The same vectors train.py writes, over random histories drawn from the catalog."""
    rng = random.Random(seed)
    hists = [[rng.randrange(len(item_ids)) for _ in range(n)] for n in (max_history, 2, 1)]
    hist = history_tokens(model.layout, hists, sids, collisions, max_history)
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
    steps = []
    for level in range(model.layout.levels):
        beams = [[[1] + [model.layout.level_offsets[l] + int(sids[(r * 7 + w * 13) % len(item_ids)][l])
                         for l in range(level)] for w in range(2)] for r in range(len(hists))]
        with torch.no_grad():
            lp = model.decode_step(pk, pv, pm, torch.tensor(beams, dtype=torch.long))
        steps.append({"beam_tokens": beams, "log_probs": [[export.floats(w) for w in r] for r in lp.numpy()]})
    cases = []
    for width, k in [(8, 10), (32, 20), (128, 100)]:
        res = beam_search(model, index, hist[:2], width, k)
        cases.append({"beam_width": width, "top_k": k,
                      "results": [[{"item_id": it[1], "sid": list(map(int, it[2])), "score": it[3]} for it in r]
                                  for r in res]})
    return ({"history_tokens": hist.tolist(), "past_mask": [export.floats(r) for r in pm.numpy()],
             "steps": steps, "tolerance": 1e-4},
            {"history_tokens": hist[:2].tolist(), "exclude_seen": False, "cases": cases})


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.source, "manifest.json"), encoding="utf-8") as f:
        source = json.load(f)
    sid = source["sid"]
    layout = TokenLayout(sid["levels"], sid["codebookSize"], sid["collisionCodes"])
    item_ids, sids, collisions = read_item_sids(os.path.join(args.source, source["itemSidsFile"]), sid["levels"])
    model = SidDecoder(layout, args.d_model, args.layers, args.heads, args.ff, args.max_history).eval()
    print(f"decoder d={args.d_model} layers={args.layers} heads={args.heads} ff={args.ff} "
          f"history={args.max_history}: {sum(p.numel() for p in model.parameters())} parameters (random)", flush=True)

    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    enc_file, hist_file, step_file = (source["encoder"]["file"], source["decoder"]["encodeHistoryFile"],
                                      source["decoder"]["decodeStepFile"])
    # The ranker tokenizers depend on the SIDs only, which the new bundle keeps: copied as they are.
    ranker = source.get("rankerTokenizers")
    ranker_files = ([ranker["tokensFile"]] + [t["file"] for t in ranker["tokenizers"]]) if ranker else []
    for name in [enc_file, source["itemSidsFile"], *ranker_files]:
        shutil.copyfile(os.path.join(args.source, name), os.path.join(args.out, name))
    props = {"sidstream.levels": layout.levels, "sidstream.codebook_size": layout.codebook_size,
             "sidstream.vocab_size": layout.vocab_size, "sidstream.graph": "decoder"}
    export.export_decoder(model, os.path.join(args.out, hist_file), os.path.join(args.out, step_file), props)
    start_file, next_file = "decoder_decode_start.onnx", "decoder_decode_next.onnx"
    export.export_cached_decoder(model, os.path.join(args.out, start_file), os.path.join(args.out, next_file),
                                 props)

    with open(os.path.join(args.source, source["parityFile"]), encoding="utf-8") as f:
        parity = json.load(f)
    index = SidIndex(sids, collisions, item_ids, layout.levels, layout.codebook_size)
    parity["decoder"], parity["beam_search"] = decoder_parity(
        model, index, item_ids, sids, collisions, args.max_history, args.seed)
    export.write_json(os.path.join(args.out, source["parityFile"]), parity)

    files = [enc_file, hist_file, step_file, source["parityFile"], source["itemSidsFile"], start_file, next_file,
             *ranker_files]
    entries = export.file_entries(args.out, files)
    digest = hashlib.sha256("".join(entries[f]["sha256"] for f in files[:3]).encode()).hexdigest()[:12]
    manifest = {
        **source,
        "bundleVersion": f"shape-d{args.d_model}-l{args.layers}-h{args.max_history}-{digest}",
        "createdAt": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "decoder": {**source["decoder"], "decodeStartFile": start_file, "decodeNextFile": next_file,
                    "layers": args.layers, "heads": args.heads,
                    "headDim": args.d_model // args.heads, "dModel": args.d_model,
                    "maxHistoryItems": args.max_history},
        "files": entries,
        "metrics": {"note": "untrained decoder of a benchmark shape; no quality metrics",
                    "rqvae": source["metrics"]["rqvae"]},
        "training": {"derivedFrom": source["bundleVersion"], "seed": args.seed, "torch": torch.__version__},
    }
    manifest["decoder"].pop("searchFile", None)
    export.write_json(os.path.join(args.out, "manifest.json"), manifest)
    add_search_graph(args.out)
    print(f"wrote bundle {manifest['bundleVersion']} to {args.out}", flush=True)


if __name__ == "__main__":
    main()
