#!/usr/bin/env bash
# Rebuilds the small decoder-only update the retrieval tests swap in and score in shadow: a real
# decoder (d 32, 1 layer, 10 history items) trained by the reference trainer over the default
# bundle's encoder and SIDs on the first 20,000 ratings, about 15 s on 2 cores. Only the files
# that differ from models/default are kept; the tests add the rest from there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=training/out/test-decoder-update
rm -rf "$out"; mkdir -p "$out"
head -n 20000 data/movietweetings-100k/ratings.dat > "$out/ratings.dat"
/usr/bin/python3 training/train.py --reuse-sids models/default --interactions "$out/ratings.dat" \
  --out "$out/bundle" --d-model 32 --layers 1 --heads 2 --ff 64 --max-history 10 \
  --decoder-epochs 2 --valid-users 200 --sasrec-seeds 0 --threads 1 \
  --created-at 2026-12-01T00:00:00+00:00
./sidstream bundle verify "$out/bundle"
dest=retrieval-server/src/test/resources/decoder-update
rm -rf "$dest"; mkdir -p "$dest"
for f in "$out/bundle"/*; do
  name=$(basename "$f")
  cmp -s "$f" "models/default/$name" || cp "$f" "$dest/$name"
done
ls -l "$dest"
