"""SID tokenizers for rankers: SentencePiece (unigram and BPE) trained on the catalog's SIDs.

A ranker that embeds items by SID tokens wants frequent prefixes as one token and rare ones as
single codes. Each SID (L codes + collision code) becomes a string of one private-use character
per (level, code): level l, code c is U+E000 + l * 256 + c (collision codes are level L). The
tokenizer is trained on the SIDs of the items first seen before the cold-start boundary (the last
10 % of the interaction period, as ./sidstream eval uses), so the cold-start items are exactly the
ones a deployed tokenizer meets for the first time.

    python3 -m sidstream_train.tokenizer --bundle models/default --interactions data/.../ratings.dat

adds ranker_<name>.model for every --tokenizers entry (name=unigram:V or name=bpe:V) and
ranker_tokens.tsv (item id, tokenizer name, token ids, SID codes; every catalog item plus a few
probe SIDs with unseen codes) to the bundle, and records them with their
checksums in manifest.json ("rankerTokenizers"). The Java tokenizer must reproduce
ranker_tokens.tsv exactly (SidTokenizerParityTest).
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

BASE = 0xE000
CODES_PER_LEVEL = 256
COLD_START_FRACTION = 0.1


def sid_text(sid):
    """One private-use character per (level, code); the last code is the collision code."""
    out = []
    for level, code in enumerate(sid):
        if not 0 <= code < CODES_PER_LEVEL:
            raise ValueError("code %d at level %d outside [0, %d)" % (code, level, CODES_PER_LEVEL))
        out.append(chr(BASE + level * CODES_PER_LEVEL + code))
    return "".join(out)


def read_item_sids(path):
    sids = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item, codes = line.rstrip("\n").split("\t")
                sids[item] = [int(c) for c in codes.split()]
    return sids


def corpus_items(sids, interactions_path):
    """Items first seen before the cold-start boundary, in first-seen order."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from sidstream_train.data import read_interactions

    events = read_interactions(interactions_path)
    first_seen = {}
    for e in events:
        first_seen.setdefault(e.item_id, e.timestamp_ms)
    first = events[0].timestamp_ms
    last = events[-1].timestamp_ms
    boundary = first + int((1 - COLD_START_FRACTION) * (last - first))
    warm = [i for i, t in sorted(first_seen.items(), key=lambda kv: kv[1]) if t < boundary and i in sids]
    return warm, boundary


def parse_spec(spec):
    name, rest = spec.split("=", 1)
    kind, vocab = rest.split(":", 1)
    if kind not in ("unigram", "bpe"):
        raise ValueError("tokenizer %s: type must be unigram or bpe, not %s" % (name, kind))
    if not name.isidentifier():
        raise ValueError("tokenizer name %r must be an identifier" % name)
    return name, kind, int(vocab)


def train(corpus_sids, name, kind, vocab_size, out_dir, levels):
    import sentencepiece as spm

    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        for sid in corpus_sids:
            f.write(sid_text(sid) + "\n")
        corpus = f.name
    prefix = os.path.join(out_dir, "ranker_" + name)
    try:
        spm.SentencePieceTrainer.train(
            input=corpus,
            model_prefix=prefix,
            model_type=kind,
            vocab_size=vocab_size,
            character_coverage=1.0,
            add_dummy_prefix=False,
            remove_extra_whitespaces=False,
            normalization_rule_name="identity",
            split_by_unicode_script=False,
            split_by_number=False,
            split_by_whitespace=False,
            max_sentencepiece_length=levels + 1,
            unk_id=0,
            bos_id=-1,
            eos_id=-1,
            pad_id=-1,
            hard_vocab_limit=False,
            num_threads=2,
            minloglevel=2,
        )
    finally:
        os.unlink(corpus)
    os.unlink(prefix + ".vocab")
    return prefix + ".model"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--interactions", required=True)
    p.add_argument("--tokenizers", default="sp_unigram=unigram:2048,sp_bpe=bpe:2048",
                   help="comma-separated name=unigram|bpe:vocab_size")
    args = p.parse_args(argv)
    import sentencepiece as spm

    manifest_path = os.path.join(args.bundle, "manifest.json")
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    levels = manifest["sid"]["levels"]
    sids = read_item_sids(os.path.join(args.bundle, manifest["itemSidsFile"]))
    warm, boundary = corpus_items(sids, args.interactions)
    specs = [parse_spec(s) for s in args.tokenizers.split(",") if s.strip()]
    entries = []
    tokens_file = os.path.join(args.bundle, "ranker_tokens.tsv")
    processors = []
    for name, kind, vocab in specs:
        model = train([sids[i] for i in warm], name, kind, vocab, args.bundle, levels)
        sp = spm.SentencePieceProcessor(model_file=model)
        processors.append((name, sp))
        entries.append({"name": name, "type": kind, "file": os.path.basename(model),
                        "vocabSize": sp.get_piece_size(), "corpusItems": len(warm)})
    # Probes: SIDs with collision codes no corpus item has, so parity covers unknown pieces too.
    template = sids[sorted(sids)[0]]
    probes = {"~probe-%d" % n: template[:levels] + [code] for n, code in enumerate((100, 200, 255))}
    with open(tokens_file, "w", encoding="utf-8") as out:
        for item, sid in sorted(sids.items()) + sorted(probes.items()):
            text = sid_text(sid)
            for name, sp in processors:
                out.write("%s\t%s\t%s\t%s\n" % (item, name, " ".join(str(t) for t in sp.encode(text)),
                                                 " ".join(str(c) for c in sid)))
    manifest["rankerTokenizers"] = {"codepointBase": BASE, "codesPerLevel": CODES_PER_LEVEL,
                                    "tokensFile": os.path.basename(tokens_file),
                                    "coldStartBoundaryMillis": boundary, "tokenizers": entries}
    for path in [os.path.join(args.bundle, e["file"]) for e in entries] + [tokens_file]:
        manifest["files"][os.path.basename(path)] = {"sha256": sha256(path), "bytes": os.path.getsize(path)}
    with open(manifest_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for e in entries:
        print(json.dumps({"tokenizer": e["name"], "type": e["type"], "vocab": e["vocabSize"],
                          "corpus_items": e["corpusItems"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
