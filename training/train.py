#!/usr/bin/python3
"""Trains a sidstream model bundle: RQ-VAE (item embedding -> SID) + generative SID decoder.

Input: the Java `embed` command's output (embeddings.npy + items.tsv) and an interactions file.
Output: a bundle directory (manifest.json, ONNX graphs, parity vectors, item SIDs) as specified in
training/CONTRACT.md. Every figure it logs is also recorded in manifest.json.

Run through training/build_default_bundle.sh (full data) or training/smoke.sh (tiny slice).
"""
import argparse
import copy
import datetime
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidstream_train import data, rqvae, export, sasrec  # noqa: E402
from sidstream_train.beam import SidIndex, beam_search, history_tokens  # noqa: E402
from sidstream_train.decoder import SidDecoder, TokenLayout  # noqa: E402
from sidstream_train.search_graph import add_search_graph  # noqa: E402

T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--embeddings", help="directory with embeddings.npy + items.tsv (not with --reuse-sids)")
    p.add_argument("--reuse-sids", metavar="BUNDLE",
                   help="keep this bundle's RQ-VAE encoder and item SIDs and train only the decoder: a"
                        " decoder-only update, served in the same SID space without re-tokenization"),
    p.add_argument("--item-sids", metavar="FILE",
                   help="with --reuse-sids: the live items' SIDs in that bundle's SID space (item_sids.tsv"
                        " format, as export-training writes it) instead of the bundle's own list")
    p.add_argument("--interactions", required=True, help="ratings.dat or interactions.jsonl")
    p.add_argument("--out", required=True, help="bundle directory to (re)write")
    p.add_argument("--dataset-name", default="movietweetings-100k")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--levels", type=int, default=3)
    p.add_argument("--codebook-size", type=int, default=256)
    p.add_argument("--latent", type=int, default=32)
    p.add_argument("--rqvae-epochs", type=int, default=60)
    p.add_argument("--rqvae-batch", type=int, default=1024)
    p.add_argument("--rqvae-lr", type=float, default=1e-3)
    p.add_argument("--beta", type=float, default=0.25)
    p.add_argument("--min-usage", type=float, default=0.95, help="refuse export below this per-level usage")
    p.add_argument("--min-diversity", type=float, default=0.90, help="refuse export below this diversity")
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=512)
    p.add_argument("--max-history", type=int, default=20, help="history items the decoder reads")
    p.add_argument("--dropout", type=float, default=0.0, help="decoder dropout while training (none in the graphs)")
    p.add_argument("--decoder-epochs", type=int, default=5, help="most epochs; the best on validation is kept")
    p.add_argument("--patience", type=int, default=2,
                   help="in the second half of the schedule, stop after this many epochs without a better validation score")
    p.add_argument("--with-validation-targets", action="store_true",
                   help="also train on every user's validation target (a refit once the schedule is chosen): "
                        "validation scores no longer select an epoch, the last one is kept")
    p.add_argument("--recency-half-life-days", type=float, default=0.0,
                   help="weight each training sample by 0.5^(age of its target / this), the age counted from the "
                        "newest training target, so the decoder leans to what people watch lately (0 = equal weights)")
    p.add_argument("--valid-users", type=int, default=1000, help="validation users scored after every epoch")
    p.add_argument("--sasrec-seeds", type=int, default=0,
                   help="train the SASRec-CE baseline with this many seeds on the same split (0 = none)")
    p.add_argument("--sasrec-max-epochs", type=int, default=200)
    p.add_argument("--decoder-batch", type=int, default=256)
    p.add_argument("--decoder-lr", type=float, default=2e-3)
    p.add_argument("--eval-beam", type=int, default=128)
    p.add_argument("--cold-start-fraction", type=float, default=0.1,
                   help="items first seen in this last fraction of the period form the cold-start slice")
    p.add_argument("--created-at", default=None, help="ISO time recorded in the manifest (default: now)")
    return p.parse_args()


def seed_everything(seed, threads):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def training_samples(split, max_history, with_validation_targets=False):
    """(history, target, target time ms) for every position but the first of every training sequence,
    and with `with_validation_targets` every validation case too (never a test target)."""
    samples = []
    for user, seq in split.train_sequences.items():
        times = split.train_times[user]
        for j in range(1, len(seq)):
            samples.append((seq[max(0, j - max_history):j], seq[j], times[j]))
    if with_validation_targets:
        for user, history, target, t in split.valid:
            samples.append((history[-max_history:], target, t))
    return samples


def recency_weights(samples, half_life_days):
    """Per-sample loss weights 0.5^(age / half-life), the age of a sample's target counted from the newest
    target; scaled to mean 1 so the learning rate means the same. All ones for half-life 0."""
    times = np.array([t for _, _, t in samples], dtype=np.float64)
    if half_life_days <= 0:
        return np.ones(len(samples), dtype=np.float32)
    w = np.power(0.5, (times.max() - times) / (half_life_days * 86_400_000.0))
    return (w / w.mean()).astype(np.float32)


def train_decoder(model, samples, sids, collisions, args, valid_fn):
    """Trains for at most --decoder-epochs and keeps the weights of the best validation epoch."""
    weights = torch.from_numpy(recency_weights(samples, args.recency_half_life_days)) \
        if args.recency_half_life_days > 0 else None
    opt = torch.optim.AdamW(model.parameters(), lr=args.decoder_lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(samples) / args.decoder_batch)
    total = steps_per_epoch * args.decoder_epochs
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 200) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    rng = random.Random(args.seed)
    history = []
    best, best_score, best_epoch = None, -1.0, 0
    for epoch in range(1, args.decoder_epochs + 1):
        model.train()
        # Bucket by history length so padding stays small, then shuffle the batches.
        order = sorted(range(len(samples)), key=lambda i: (len(samples[i][0]), rng.random()))
        batches = [order[i:i + args.decoder_batch] for i in range(0, len(order), args.decoder_batch)]
        rng.shuffle(batches)
        loss_sum, n = 0.0, 0
        for b, batch in enumerate(batches):
            hist = history_tokens(model.layout, [samples[i][0] for i in batch], sids, collisions, args.max_history)
            target = torch.from_numpy(np.stack([sids[samples[i][1]] for i in batch])).long()
            logits = model.teacher_forced_logits(hist, target)
            if args.recency_half_life_days > 0:
                per_code = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                           reduction="none")
                loss = (per_code.reshape(len(batch), -1).mean(dim=1) * weights[batch]).mean()
            else:
                loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(batch)
            n += len(batch)
            if (b + 1) % 100 == 0:
                log(f"decoder epoch {epoch} batch {b + 1}/{len(batches)} loss={loss_sum / n:.4f}")
        model.eval()
        val = valid_fn()
        history.append({"epoch": epoch, "train_loss": loss_sum / n, **val})
        log(f"decoder epoch {epoch}/{args.decoder_epochs} loss={loss_sum / n:.4f} valid={val}")
        score = val["recall@10"] + val["recall@50"] + val["recall@100"] + val["ndcg@10"]
        if args.with_validation_targets:
            # Validation targets were trained on: their scores cannot choose, the schedule decides.
            best, best_epoch = copy.deepcopy(model.state_dict()), epoch
        elif score > best_score:
            best, best_score, best_epoch = copy.deepcopy(model.state_dict()), score, epoch
        elif epoch > args.decoder_epochs // 2 and epoch - best_epoch >= args.patience:
            # Only once the learning rate has come down: early on, validation is noisy and a
            # plateau says little about where the annealed model will end.
            log(f"decoder: no better validation score for {args.patience} epochs; stopping")
            break
    model.load_state_dict(best)
    log(f"decoder: keeping epoch {best_epoch}")
    return history, best_epoch


def evaluate(model, index, cases, sids, collisions, args, batch=256):
    """Recall@{10,50,100} and NDCG@10 of constrained beam search; seen items excluded."""
    hits = {10: 0, 50: 0, 100: 0}
    ndcg = 0.0
    per_case = []
    for start in range(0, len(cases), batch):
        chunk = cases[start:start + batch]
        hist = history_tokens(model.layout, [c[1] for c in chunk], sids, collisions, args.max_history)
        seen = [set(c[1]) for c in chunk]
        results = beam_search(model, index, hist, args.eval_beam, 100, exclude=seen)
        for case, ranked in zip(chunk, results):
            ids = [r[0] for r in ranked]
            rank = ids.index(case[2]) if case[2] in ids else None
            per_case.append(rank)
            for k in hits:
                hits[k] += rank is not None and rank < k
            if rank is not None and rank < 10:
                ndcg += 1.0 / math.log2(rank + 2)
    n = max(len(cases), 1)
    return {"recall@10": hits[10] / n, "recall@50": hits[50] / n, "recall@100": hits[100] / n,
            "ndcg@10": ndcg / n, "users": len(cases)}, per_case


def popularity_baseline(split, cases, n_items):
    counts = np.zeros(n_items)
    for seq in split.train_sequences.values():
        for i in seq:
            counts[i] += 1
    ranking = list(np.argsort(-counts, kind="stable"))
    hits = {10: 0, 50: 0, 100: 0}
    ndcg = 0.0
    for case in cases:
        seen = set(case[1])
        top = []
        for i in ranking:
            if i not in seen:
                top.append(i)
                if len(top) == 100:
                    break
        if case[2] in top:
            rank = top.index(case[2])
            for k in hits:
                hits[k] += rank < k
            if rank < 10:
                ndcg += 1.0 / math.log2(rank + 2)
    n = max(len(cases), 1)
    return {"recall@10": hits[10] / n, "recall@50": hits[50] / n, "recall@100": hits[100] / n,
            "ndcg@10": ndcg / n, "users": len(cases)}


def slice_metrics(per_case, mask):
    ranks = [r for r, m in zip(per_case, mask) if m]
    n = max(len(ranks), 1)
    return {"users": len(ranks),
            "recall@10": sum(r is not None and r < 10 for r in ranks) / n,
            "recall@50": sum(r is not None and r < 50 for r in ranks) / n,
            "recall@100": sum(r is not None and r < 100 for r in ranks) / n}


def encoder_parity(rq, embeddings, item_ids, args):
    """Encoder inputs and expected codes that Java must reproduce with ONNX Runtime."""
    # Encoder: items whose nearest code beats the runner-up clearly at every level, so float
    # differences between PyTorch and ONNX Runtime cannot flip an argmin.
    x = torch.from_numpy(embeddings)
    with torch.no_grad():
        residual = rq.encoder(x)
        margin = torch.full((x.shape[0],), float("inf"))
        for level in range(rq.levels):
            d = torch.cdist(residual, rq.codebooks[level]).pow(2)
            two = torch.topk(d, 2, largest=False).values
            margin = torch.minimum(margin, two[:, 1] - two[:, 0])
            residual = residual - rq.codebooks[level][d.argmin(1)]
    # The clearest items, not a fixed threshold: how far apart codes lie depends on the model's
    # scale (a small codebook's last level can have every margin under 1e-3), while a float error
    # between PyTorch and ONNX Runtime is ~1e-6 whatever the scale.
    clearest = sorted(range(len(item_ids)), key=lambda i: -float(margin[i]))[:64]
    candidates = sorted(i for i in clearest if margin[i] > 1e-5)
    rng = random.Random(args.seed)
    pick = sorted(rng.sample(candidates, min(16, len(candidates))))
    codes, norms = rq.encode(x[pick])
    encoder = {"item_ids": [item_ids[i] for i in pick],
               "embeddings": [export.floats(embeddings[i]) for i in pick],
               "codes": codes.tolist(), "residual_norm": export.floats(norms.numpy()),
               "min_margin": float(min(margin[i] for i in pick))}
    return encoder


def decoder_parity(model, item_ids, sids, collisions, index, split, args):
    """Decoder steps and reference beam searches that Java must reproduce with ONNX Runtime."""
    # Decoder: three requests with different history lengths in one left-padded batch.
    users = [c for c in split.test if len(c[1]) >= 3][:3]
    hists = [users[0][1][-args.max_history:], users[1][1][-2:], users[2][1][-1:]]
    hist = history_tokens(model.layout, hists, sids, collisions, args.max_history)
    with torch.no_grad():
        pk, pv, pm = model.encode_history(hist)
    steps = []
    for level in range(model.layout.levels):
        beams = []
        for r in range(len(hists)):
            row = []
            for w in range(2):
                sid = sids[(r * 7 + w * 13) % len(item_ids)]
                row.append([1] + [model.layout.level_offsets[l] + int(sid[l]) for l in range(level)])
            beams.append(row)
        bt = torch.tensor(beams, dtype=torch.long)
        with torch.no_grad():
            lp = model.decode_step(pk, pv, pm, bt)
        steps.append({"beam_tokens": beams, "log_probs": [[export.floats(w) for w in r] for r in lp.numpy()]})
    decoder = {"history_tokens": hist.tolist(), "past_mask": [export.floats(r) for r in pm.numpy()],
               "steps": steps, "tolerance": 1e-4}

    # Reference constrained beam search over the training catalog's SIDs.
    beam_cases = []
    for width, k in [(8, 10), (32, 20), (128, 100)]:
        res = beam_search(model, index, hist[:2], width, k)
        beam_cases.append({"beam_width": width, "top_k": k,
                           "results": [[{"item_id": it[1], "sid": list(map(int, it[2])), "score": it[3]}
                                        for it in r] for r in res]})
    beam_ref = {"history_tokens": hist[:2].tolist(), "exclude_seen": False, "cases": beam_cases}
    return {"decoder": decoder, "beam_search": beam_ref}


def main():
    args = parse_args()
    seed_everything(args.seed, args.threads)
    os.makedirs(args.out, exist_ok=True)
    if (args.embeddings is None) == (args.reuse_sids is None):
        sys.exit("give exactly one of --embeddings (train the RQ-VAE) and --reuse-sids BUNDLE")
    if args.item_sids and not args.reuse_sids:
        sys.exit("--item-sids goes with --reuse-sids")
    if args.reuse_sids:
        return main_decoder_only(args)
    ds = data.load(args.embeddings, args.interactions)
    log(f"loaded {len(ds.item_ids)} items ({ds.embeddings.shape[1]}-d) and {len(ds.interactions)} interactions"
        f" ({ds.dropped_unknown_items} for items not in the catalog dropped)")

    cfg = {"seed": args.seed, "hidden": [256, 128], "latent": args.latent, "levels": args.levels,
           "codebook_size": args.codebook_size, "epochs": args.rqvae_epochs, "batch": args.rqvae_batch,
           "lr": args.rqvae_lr, "beta": args.beta, "kmeans_iters": 20,
           "report_every": max(1, args.rqvae_epochs // 10)}
    rq, rq_history = rqvae.train(ds.embeddings, cfg, log)
    codes, norms = rq.encode(torch.from_numpy(ds.embeddings))
    sids = codes.numpy()
    stats = rqvae.sid_stats(sids, args.levels, args.codebook_size)
    collisions = rqvae.assign_collision_codes(sids)
    problems = []
    for level, usage in enumerate(stats["usage_per_level"]):
        if usage < args.min_usage:
            problems.append(f"level {level} uses {usage:.3f} of its codebook (< --min-usage {args.min_usage})")
    if stats["diversity"] < args.min_diversity:
        problems.append(f"diversity {stats['diversity']:.4f} < --min-diversity {args.min_diversity}")
    if problems:
        sys.exit("refusing to export a collapsed RQ-VAE: " + "; ".join(problems))
    if int(collisions.max()) >= args.codebook_size:
        sys.exit(f"refusing to export: a SID prefix holds {int(collisions.max()) + 1} items, "
                 f"more than the {args.codebook_size} collision codes")
    log(f"rqvae final: {stats}")
    enc_file = "rqvae_encoder.onnx"
    export.export_encoder(rq, ds.embeddings.shape[1], os.path.join(args.out, enc_file),
                          {**version_props(args), "sidstream.graph": "rqvae_encoder"})
    encoder = {
        "file": enc_file,
        "parity": encoder_parity(rq, ds.embeddings, ds.item_ids, args),
        "embedding": {"modelId": "all-minilm-l6-v2", "dim": int(ds.embeddings.shape[1]),
                      "normalized": True, "text": "io.sidstream.sid.data.ItemText"},
        "manifest": {"file": enc_file, "embeddingDim": int(ds.embeddings.shape[1]), "latentDim": args.latent,
                     "levels": args.levels, "codebookSize": args.codebook_size},
        "metrics": {**stats, "residual_norm_mean": float(norms.mean()),
                    "final_epoch": rq_history[-1] if rq_history else None},
    }
    train_and_export(args, ds, sids, collisions, encoder)


def main_decoder_only(args):
    """--reuse-sids: the bundle's encoder, SIDs and encoder parity are kept as they are."""
    src = args.reuse_sids
    with open(os.path.join(src, "manifest.json"), encoding="utf-8") as f:
        old = json.load(f)
    if old["sid"]["levels"] != args.levels or old["sid"]["codebookSize"] != args.codebook_size:
        sys.exit(f"{src}: its SIDs have {old['sid']['levels']} levels of {old['sid']['codebookSize']} codes;"
                 f" pass the same --levels and --codebook-size")
    item_ids, rows = [], []
    sids_file = args.item_sids or os.path.join(src, old["itemSidsFile"])
    with open(sids_file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            item, codes = line.rstrip("\n").split("\t")
            item_ids.append(item)
            rows.append([int(c) for c in codes.split()])
            if len(rows[-1]) != args.levels + 1 or not all(0 <= c < args.codebook_size for c in rows[-1]):
                sys.exit(f"{sids_file}:{n}: expected {args.levels} codes and a collision code in [0, {args.codebook_size})")
    codes = np.array(rows, dtype=np.int64)
    sids, collisions = codes[:, :args.levels], codes[:, args.levels]
    ds = data.load_items(item_ids, args.interactions)
    log(f"reusing {src}: {len(item_ids)} item SIDs and its RQ-VAE encoder; {len(ds.interactions)} interactions"
        f" ({ds.dropped_unknown_items} for items not in the catalog dropped)")
    enc_file = old["encoder"]["file"]
    shutil.copyfile(os.path.join(src, enc_file), os.path.join(args.out, enc_file))
    with open(os.path.join(src, old["parityFile"]), encoding="utf-8") as f:
        encoder_par = json.load(f)["encoder"]
    encoder = {"file": enc_file, "parity": encoder_par, "embedding": old["embedding"],
               "manifest": old["encoder"], "metrics": old.get("metrics", {}).get("rqvae"),
               "sidSpace": old.get("sidSpace") or old["bundleVersion"],
               # Baselines belong to the split, not to a decoder: kept unless this run trains its own.
               "baselines": old.get("metrics", {}).get("baselines"),
               "baselinesOf": old.get("metrics", {}).get("baselinesOf") or old["bundleVersion"]}
    train_and_export(args, ds, sids, collisions, encoder)


def version_props(args):
    layout = TokenLayout(args.levels, args.codebook_size, args.codebook_size)
    return {"sidstream.levels": args.levels, "sidstream.codebook_size": args.codebook_size,
            "sidstream.vocab_size": layout.vocab_size}


def train_and_export(args, ds, sids, collisions, encoder):
    """Decoder training, evaluation and export over fixed item SIDs; `encoder` says where the
    RQ-VAE encoder file, its parity vectors, manifest block and metrics come from."""
    split = data.leave_last_out(ds)
    layout = TokenLayout(args.levels, args.codebook_size, args.codebook_size)
    model = SidDecoder(layout, args.d_model, args.layers, args.heads, args.ff, args.max_history, args.dropout)
    index = SidIndex(sids, collisions, ds.item_ids, args.levels, args.codebook_size)
    samples = training_samples(split, args.max_history, args.with_validation_targets)
    log(f"decoder: {sum(p.numel() for p in model.parameters())} parameters, {len(samples)} training samples, "
        f"{len(split.valid)} validation / {len(split.test)} test users")
    valid_subset = split.valid[:args.valid_users]
    dec_history, best_epoch = train_decoder(
        model, samples, sids, collisions, args,
        lambda: evaluate(model, index, valid_subset, sids, collisions, args)[0])
    test_metrics, per_case = evaluate(model, index, split.test, sids, collisions, args)
    pop = popularity_baseline(split, split.test, len(ds.item_ids))
    times = [e.timestamp_ms for e in ds.interactions]
    cutoff = times[0] + (1 - args.cold_start_fraction) * (times[-1] - times[0])
    cold_mask = [split.item_first_seen_ms[c[2]] >= cutoff for c in split.test]
    cold = slice_metrics(per_case, cold_mask)
    pop_ranks_cold = popularity_baseline(split, [c for c, m in zip(split.test, cold_mask) if m], len(ds.item_ids))
    log(f"test: {test_metrics}")
    log(f"popularity baseline: {pop}")
    log(f"cold-start slice (items first seen after {datetime.datetime.utcfromtimestamp(cutoff / 1000):%Y-%m-%d}): "
        f"{cold}; popularity on it: {pop_ranks_cold}")
    baselines = {}
    baselines_of = None
    if args.sasrec_seeds > 0:
        baselines["sasrec_ce"] = sasrec_baseline(split, len(ds.item_ids), cold_mask, args)
    elif encoder.get("baselines"):
        baselines, baselines_of = encoder["baselines"], encoder["baselinesOf"]
        log(f"baselines: kept those of {baselines_of} (same split)")

    # Export.
    props = version_props(args)
    enc_file, hist_file, step_file = encoder["file"], "decoder_encode_history.onnx", "decoder_decode_step.onnx"
    export.export_decoder(model, os.path.join(args.out, hist_file), os.path.join(args.out, step_file),
                          {**props, "sidstream.graph": "decoder"})
    start_file, next_file = "decoder_decode_start.onnx", "decoder_decode_next.onnx"
    export.export_cached_decoder(model, os.path.join(args.out, start_file), os.path.join(args.out, next_file),
                                 props)
    with open(os.path.join(args.out, "item_sids.tsv"), "w", encoding="utf-8") as f:
        for i, item in enumerate(ds.item_ids):
            f.write(item + "\t" + " ".join(str(int(c)) for c in sids[i]) + " " + str(int(collisions[i])) + "\n")
    parity = {"encoder": encoder["parity"], **decoder_parity(model, ds.item_ids, sids, collisions, index, split, args)}
    export.write_json(os.path.join(args.out, "parity.json"), parity)

    files = [enc_file, hist_file, step_file, "parity.json", "item_sids.tsv", start_file, next_file]
    entries = export.file_entries(args.out, files)
    digest = hashlib.sha256("".join(entries[f]["sha256"] for f in files[:3]).encode()).hexdigest()[:12]
    created = args.created_at or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    manifest = {
        "format": export.BUNDLE_FORMAT,
        "bundleVersion": f"{args.dataset_name}-{digest}",
        "createdAt": created,
        "embedding": encoder["embedding"],
        "sid": {"levels": args.levels, "codebookSize": args.codebook_size, "collisionCodes": args.codebook_size},
        "tokens": layout.as_manifest(),
        "encoder": encoder["manifest"],
        "decoder": {"encodeHistoryFile": hist_file, "decodeStepFile": step_file,
                    "decodeStartFile": start_file, "decodeNextFile": next_file, "levels": args.levels,
                    "codebookSize": args.codebook_size, "vocabSize": layout.vocab_size, "layers": args.layers,
                    "heads": args.heads, "headDim": args.d_model // args.heads, "dModel": args.d_model,
                    "maxHistoryItems": args.max_history},
        "parityFile": "parity.json",
        "itemSidsFile": "item_sids.tsv",
        "files": entries,
        "metrics": {
            "rqvae": encoder["metrics"],
            "test": test_metrics, "popularity_baseline": pop,
            "cold_start": {**cold, "first_seen_after": datetime.datetime.utcfromtimestamp(cutoff / 1000).isoformat() + "Z",
                           "popularity_baseline": pop_ranks_cold},
            "decoder_epochs": dec_history,
            # The decoder also learnt the validation targets: its validation scores above flatter it.
            **({"fitOnValidationTargets": True} if args.with_validation_targets else {}),
            **({"baselines": baselines} if baselines else {}),
            **({"baselinesOf": baselines_of} if baselines_of else {}),
        },
        "training": {"dataset": args.dataset_name, "items": len(ds.item_ids), "interactions": len(ds.interactions),
                     "seed": args.seed, "rqvaeEpochs": None if args.reuse_sids else args.rqvae_epochs,
                     "reusedSidsOf": None if not args.reuse_sids else encoder_version(args.reuse_sids),
                     "decoderEpochs": args.decoder_epochs, "keptEpoch": best_epoch, "maxHistory": args.max_history,
                     **({"recencyHalfLifeDays": args.recency_half_life_days} if args.recency_half_life_days > 0 else {}),
                     "beta": args.beta, "evalBeamWidth": args.eval_beam, "torch": torch.__version__,
                     "seconds": round(time.time() - T0, 1)},
    }
    if encoder.get("sidSpace"):
        # A decoder-only update: its SIDs are the reused bundle's, under that bundle's name.
        manifest["sidSpace"] = encoder["sidSpace"]
    export.write_json(os.path.join(args.out, "manifest.json"), manifest)
    add_search_graph(args.out)
    log(f"wrote bundle {manifest['bundleVersion']} to {args.out}")


def sasrec_baseline(split, n_items, cold_mask, args):
    """SASRec-CE on the decoder's split, one run per seed: test figures per run and their mean."""
    runs = []
    for seed in range(args.seed, args.seed + args.sasrec_seeds):
        model, epoch, _ = sasrec.train(split, n_items, seed, log, max_epochs=args.sasrec_max_epochs,
                                       valid_users=args.valid_users)
        ranks = sasrec.rank(model, split.test, n_items)
        run = {"seed": seed, "epoch": epoch, "all": sasrec.metrics(ranks),
               "cold_start": sasrec.metrics([r for r, m in zip(ranks, cold_mask) if m])}
        log(f"sasrec-ce seed {seed}: test {run['all']}, cold-start {run['cold_start']}")
        runs.append(run)

    def mean(part):
        keys = ["recall@10", "recall@50", "recall@100", "ndcg@10"]
        out = {k: float(np.mean([r[part][k] for r in runs])) for k in keys}
        out.update({k + "_std": float(np.std([r[part][k] for r in runs])) for k in keys})
        out["users"] = runs[0][part]["users"]
        return out

    return {"model": "SASRec, full-softmax cross-entropy, 2 blocks, d 64, max length 50, early stopping",
            "all": mean("all"), "cold_start": mean("cold_start"), "runs": runs}


def encoder_version(bundle):
    with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)["bundleVersion"]


if __name__ == "__main__":
    main()
