#!/usr/bin/env bash
# Trainer checks for CI (about a minute on 2 cores): unit tests, then a tiny slice of the demo data
# through embed -> RQ-VAE -> decoder -> ONNX export -> parity check in Java with ONNX Runtime,
# the same for a 4-level SID space, a decoder-only retrain over the first bundle's SIDs, a refit of
# that decoder on the validation targets with its prior tuned by the selection decoder, then proof
# that a collapsed RQ-VAE is refused at export.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== trainer unit tests"
/usr/bin/python3 -m unittest discover -s training/tests
out=training/out/smoke
rm -rf "$out"; mkdir -p "$out/data"
data=data/movietweetings-100k
# The newest 800 movies carry many ratings; keep only ratings of those movies.
tail -n 800 "$data/movies.dat" > "$out/data/movies.dat"
awk -F'::' 'NR==FNR { keep[$1]=1; next } ($2 in keep)' "$out/data/movies.dat" "$data/ratings.dat" > "$out/data/ratings.dat"
echo "== embed $(wc -l < "$out/data/movies.dat") items"
./sidstream embed --catalog "$out/data/movies.dat" --out "$out/embeddings"
small=(--embeddings "$out/embeddings" --interactions "$out/data/ratings.dat" --dataset-name smoke
       --codebook-size 32 --rqvae-epochs 40 --decoder-epochs 1 --d-model 64 --ff 128 --layers 1
       --eval-beam 32 --created-at 2026-01-01T00:00:00Z)
echo "== train + export"
/usr/bin/python3 training/train.py "${small[@]}" --out "$out/bundle" --min-usage 0.5 --min-diversity 0.5
echo "== verify with ONNX Runtime (Java)"
./sidstream bundle verify "$out/bundle"
echo "== 4 levels (catalogs beyond K^3 prefixes), K = 20 (not a multiple of 8, as the search graph's trie bits are): train, export, verify through the Java index and search"
/usr/bin/python3 training/train.py "${small[@]}" --levels 4 --codebook-size 20 --out "$out/bundle-4-levels" \
  --min-usage 0.3 --min-diversity 0.3
grep -q '"levels": 4' "$out/bundle-4-levels/manifest.json"
./sidstream bundle verify "$out/bundle-4-levels"
echo "== decoder-only retrain: the same SIDs and encoder, a new decoder, the SASRec-CE baseline recorded"
/usr/bin/python3 training/train.py --reuse-sids "$out/bundle" --item-sids "$out/bundle/item_sids.tsv" \
  --interactions "$out/data/ratings.dat" \
  --dataset-name smoke --codebook-size 32 --decoder-epochs 2 --patience 1 --d-model 64 --ff 128 --layers 1 \
  --eval-beam 32 --seed 8 --sasrec-seeds 1 --sasrec-max-epochs 2 --created-at 2026-01-01T00:00:00Z \
  --out "$out/bundle-decoder-only"
cmp "$out/bundle/item_sids.tsv" "$out/bundle-decoder-only/item_sids.tsv"
cmp "$out/bundle/rqvae_encoder.onnx" "$out/bundle-decoder-only/rqvae_encoder.onnx"
if cmp -s "$out/bundle/decoder_decode_step.onnx" "$out/bundle-decoder-only/decoder_decode_step.onnx"; then
  echo "FAIL: the decoder-only retrain kept the old decoder"; exit 1
fi
/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); b = m["metrics"]["baselines"]["sasrec_ce"]
o = json.load(open(sys.argv[2]))
assert 0 <= b["all"]["recall@10"] <= 1 and len(b["runs"]) == 1 and m["training"]["keptEpoch"] >= 1, b
assert m["sidSpace"] == o["bundleVersion"] != m["bundleVersion"], (m["sidSpace"], m["bundleVersion"])' \
  "$out/bundle-decoder-only/manifest.json" "$out/bundle/manifest.json"
./sidstream bundle verify "$out/bundle-decoder-only"
echo "== refit: the decoder-only bundle's SIDs, trained on the validation targets too, its baselines kept"
/usr/bin/python3 training/train.py --reuse-sids "$out/bundle-decoder-only" --interactions "$out/data/ratings.dat" \
  --dataset-name smoke --codebook-size 32 --decoder-epochs 1 --d-model 64 --ff 128 --layers 1 \
  --eval-beam 32 --with-validation-targets --created-at 2026-01-01T00:00:00Z --out "$out/bundle-refit"
cmp "$out/bundle/item_sids.tsv" "$out/bundle-refit/item_sids.tsv"
/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
assert m["metrics"]["fitOnValidationTargets"] is True, m["metrics"].keys()
assert m["metrics"]["baselines"] == s["metrics"]["baselines"] and m["metrics"]["baselinesOf"] == s["bundleVersion"]
assert m["sidSpace"] == s["sidSpace"], (m["sidSpace"], s["sidSpace"])' \
  "$out/bundle-refit/manifest.json" "$out/bundle-decoder-only/manifest.json"
./sidstream bundle verify "$out/bundle-refit"
./sidstream eval --bundle "$out/bundle-refit" --data-dir "$out/data" --users 40 --tune --tune-bundle "$out/bundle-decoder-only" \
  --tune-weights 1 --tune-half-lives-hours 24 --save > "$out/refit-eval.log"
grep -q "with the decoder of $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bundleVersion"])' "$out/bundle-decoder-only/manifest.json")" \
  "$out/bundle-refit/manifest.json" || { echo "FAIL: the refit's prior was not tuned with its selection decoder"; exit 1; }
echo "== a collapsed RQ-VAE must be refused"
if /usr/bin/python3 training/train.py "${small[@]}" --rqvae-epochs 2 --out "$out/collapsed" \
     --min-diversity 0.999 > "$out/collapsed.log" 2>&1; then
  echo "FAIL: export accepted a model below --min-diversity"; exit 1
fi
grep -q "refusing to export a collapsed RQ-VAE" "$out/collapsed.log" || { cat "$out/collapsed.log"; exit 1; }
[ ! -e "$out/collapsed/manifest.json" ] || { echo "FAIL: refused export still wrote a manifest"; exit 1; }
echo "refused as expected: $(grep -o 'refusing.*' "$out/collapsed.log")"
echo "trainer smoke: OK"
