#!/usr/bin/env bash
# Rebuilds the default model bundle (models/default) from the bundled MovieTweetings data:
#   1. Java: item text -> all-MiniLM-L6-v2 embeddings (the exact code serving uses),
#   2. Python: RQ-VAE + SID decoder training, evaluation, ONNX export, parity vectors,
#   3. Python: SID tokenizers for rankers (SentencePiece) trained on the new SIDs,
#   4. Java: the new bundle is verified with ONNX Runtime before it replaces the old one.
# Seeds are fixed, so a rerun on the same machine image reproduces the same models.
# About 18 minutes on 2 cores. Extra arguments go to training/train.py (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh --quiet
data=data/movietweetings-100k
work=training/out/default
mkdir -p "$work"
./sidstream embed --catalog "$data/movies.dat" --out "$work/embeddings"
rm -rf "$work/bundle"
/usr/bin/python3 training/train.py --embeddings "$work/embeddings" --interactions "$data/ratings.dat" \
  --out "$work/bundle" --dataset-name movietweetings-100k "$@" | tee "$work/train.log"
# SID tokenizers for rankers (SentencePiece unigram and BPE) trained on the new SIDs.
(cd training && /usr/bin/python3 -m sidstream_train.tokenizer --bundle "../$work/bundle" \
  --interactions "../$data/ratings.dat")
./sidstream bundle verify "$work/bundle"
rm -rf models/default.previous
[ -d models/default ] && mv models/default models/default.previous
mkdir -p models && mv "$work/bundle" models/default && rm -rf models/default.previous
echo "default bundle rebuilt: models/default ($(du -sh models/default | cut -f1))"
