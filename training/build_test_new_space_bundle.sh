#!/usr/bin/env bash
# Rebuilds the small bundle with its own RQ-VAE (a new SID space: K = 32, 3 levels) that the
# blue/green rollout test deploys next to models/default: trained on the smoke slice's 800 movies
# (training/smoke.sh makes their embeddings), about 30 s on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=training/out/smoke
[ -f "$smoke/embeddings/embeddings.npy" ] || { echo "run training/smoke.sh first (it embeds the slice)"; exit 2; }
out=training/out/test-new-space
rm -rf "$out"
/usr/bin/python3 training/train.py --embeddings "$smoke/embeddings" --interactions "$smoke/data/ratings.dat" \
  --dataset-name test-new-space --codebook-size 32 --rqvae-epochs 40 --decoder-epochs 1 \
  --d-model 32 --layers 1 --heads 2 --ff 64 --eval-beam 32 --sasrec-seeds 0 --threads 1 \
  --min-usage 0.5 --min-diversity 0.5 --created-at 2026-12-01T00:00:00+00:00 --out "$out/bundle"
./sidstream bundle verify "$out/bundle"
dest=sidstream-app/src/test/resources/bundle-new-space
rm -rf "$dest"; mkdir -p "$dest"
cp "$out/bundle"/* "$dest/"
ls -l "$dest"
