#!/usr/bin/env bash
# The model lifecycle on the full demo catalog, end to end while requests flow:
#  1. the demo (embedded broker, ingest, retrieval on models/default) lists the catalog, replays
#     the interactions and serves;
#  2. retraining from the stream: export-training reads the running system's topics, the
#     reference trainer builds a decoder-only update and a bundle with a new RQ-VAE from them
#     (small decoders, one epoch: this measures the cycle, not quality), bundle verify checks both;
#  3. shadow scoring of the update on every answered request, then a swap to it and back;
#  4. blue/green: an ingest in retokenize mode gives the whole catalog SIDs of the new space, a
#     retrieval of that space becomes ready once it covers the catalog, then takes HTTP.
# HTTP load runs throughout (by-user requests, one at a time). Prints JSON lines; about 12 min on
# 2 cores. Usage: scripts/rollout-demo.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-state/rollout-demo}
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
update="$work/decoder-update"
green_bundle="$work/new-space"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

./sidstream demo --fresh --work-dir "$work/demo" --dashboard-port 0 > "$work/demo.log" 2>&1 &
pids+=($!)
until grep -q "serving; dashboard" "$work/demo.log"; do
  sleep 2
  if ! kill -0 "${pids[0]}" 2>/dev/null; then tail -20 "$work/demo.log"; exit 1; fi
done
broker=$(sed -n 's/^broker: //p' "$work/demo.log" | sed -n 1p)
ingest=$(sed -n 's|^ingest-stream: *\(http://localhost:[0-9]*\).*|\1|p' "$work/demo.log" | sed -n 1p)
blue=$(sed -n 's|^retrieval-server: POST \(http://localhost:[0-9]*\)/.*|\1|p' "$work/demo.log" | sed -n 1p)
echo "{\"phase\":\"demo_serving\",\"broker\":\"$broker\",\"blue\":\"$blue\"}"

# One HTTP client at a time, to whatever URL the file names (the "Service" of a real cluster).
echo "$blue" > "$work/target"
cut -d: -f1 data/movietweetings-100k/ratings.dat | sort -u | sed -n 1,500p > "$work/users"
/usr/bin/python3 - "$work" > "$work/load.jsonl" <<'EOF' &
import json, sys, time, urllib.request, urllib.error, os
work = sys.argv[1]
users = open(os.path.join(work, "users")).read().split()
i = 0
while not os.path.exists(os.path.join(work, "stop")):
    url = open(os.path.join(work, "target")).read().strip()
    body = json.dumps({"userId": users[i % len(users)], "k": 10, "coldStart": True}).encode()
    t0 = time.time()
    try:
        with urllib.request.urlopen(urllib.request.Request(url + "/recommendations", body, {"Content-Type": "application/json"}), timeout=30) as r:
            status, version = r.status, json.loads(r.read()).get("modelVersion")
    except urllib.error.HTTPError as e:
        status, version = e.code, None
    except Exception as e:
        status, version = -1, str(e)
    print(json.dumps({"t": t0, "ms": round((time.time() - t0) * 1000, 1), "status": status, "version": version}), flush=True)
    i += 1
EOF
pids+=($!)

# Retraining from the stream, while blue serves.
t=$(date +%s.%N)
./sidstream export-training --out "$work/live" --bootstrap-servers "$broker" > "$work/export.log" 2>&1
exported=$(date +%s.%N)
small=(--interactions "$work/live/interactions.jsonl" --d-model 32 --layers 1 --heads 2 --ff 64
       --decoder-epochs 1 --valid-users 300 --sasrec-seeds 0 --eval-beam 32)
/usr/bin/python3 training/train.py --reuse-sids models/default --item-sids "$work/live/item_sids.tsv" \
  "${small[@]}" --out "$update" > "$work/train-update.log" 2>&1
/usr/bin/python3 training/train.py --embeddings "$work/live/embeddings" --dataset-name demo-new-space \
  "${small[@]}" --out "$green_bundle" > "$work/train-new-space.log" 2>&1
trained=$(date +%s.%N)
./sidstream bundle verify "$update" > "$work/verify.log" 2>&1
./sidstream bundle verify "$green_bundle" >> "$work/verify.log" 2>&1
echo "{\"phase\":\"retrain\",\"export_s\":$(python3 -c "print(round($exported - $t, 1))"),\"train_s\":$(python3 -c "print(round($trained - $exported, 1))"),\"catalog\":$(wc -l < "$work/live/catalog.jsonl"),\"interactions\":$(wc -l < "$work/live/interactions.jsonl")}"

# Shadow scoring on blue, then a swap to the update and back.
curl -sf -XPOST "$blue/admin/shadow" -d "{\"bundleDir\":\"$update\",\"samplePercent\":100}" > /dev/null
sleep 30
echo "{\"phase\":\"shadow\",\"models\":$(curl -sf "$blue/admin/models")}"
curl -s "$blue/metrics" | grep '^sidstream_retrieval_bundle_search_latency_seconds_\(sum\|count\)' | sed 's/^/# /'
curl -sf -XDELETE "$blue/admin/shadow" > /dev/null
echo "{\"phase\":\"swap\",\"to\":$(curl -sf -XPOST "$blue/admin/decoder" -d "{\"bundleDir\":\"$update\"}")}"
sleep 10
echo "{\"phase\":\"swap_back\",\"to\":$(curl -sf -XPOST "$blue/admin/decoder" -d "{\"bundleDir\":\"$(pwd)/models/default\"}")}"

# Blue/green rollout of the new SID space.
start=$(date +%s.%N)
SIDSTREAM_BOOTSTRAP_SERVERS=$broker SIDSTREAM_INGEST_MODE=retokenize \
  SIDSTREAM_INGEST_APPLICATION_ID=sidstream-demo-ingest-next SIDSTREAM_BUNDLE_DIR=$green_bundle \
  SIDSTREAM_STATE_DIR=$work/ingest-next SIDSTREAM_INGEST_HTTP_PORT=0 ./sidstream ingest > "$work/ingest-next.log" 2>&1 &
pids+=($!)
green_port=18092
SIDSTREAM_BOOTSTRAP_SERVERS=$broker SIDSTREAM_RETRIEVAL_APPLICATION_ID=sidstream-demo-retrieval \
  SIDSTREAM_RETRIEVAL_INDEX_SOURCE=own-space SIDSTREAM_BUNDLE_DIR=$green_bundle SIDSTREAM_DEFAULT_BEAM=32 \
  SIDSTREAM_INGEST_URL=$ingest SIDSTREAM_RETRIEVAL_HTTP_PORT=$green_port ./sidstream retrieval > "$work/retrieval-next.log" 2>&1 &
pids+=($!)
green=http://localhost:$green_port
deadline=$((SECONDS + 1200))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$green/health/ready")" = 200 ]; do
  sleep 1
  if [ $SECONDS -gt $deadline ]; then
    echo "{\"phase\":\"blue_green\",\"error\":\"green not ready after 20 min\",\"metrics\":\"$(curl -s "$green/metrics" | grep uncovered_items | tail -1)\"}"
    exit 1
  fi
done
ready=$(date +%s.%N)
items=$(curl -s "$green/metrics" | sed -n 's/^sidstream_retrieval_index_items \([0-9.E]*\).*/\1/p')
echo "$green" > "$work/target"
sleep 20
touch "$work/stop"; sleep 2
/usr/bin/python3 - "$work" "$start" "$ready" "$items" <<'EOF'
import json, sys, os
work, start, ready, items = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rows = [json.loads(l) for l in open(os.path.join(work, "load.jsonl"))]
during = [r for r in rows if start <= r["t"] <= ready]
after = [r for r in rows if r["t"] > ready]
def summary(rs):
    ms = sorted(r["ms"] for r in rs)
    return {"requests": len(rs), "failed": sum(1 for r in rs if r["status"] != 200),
            "versions": sorted({r["version"] for r in rs if r["version"]}),
            "p50_ms": ms[len(ms) // 2] if ms else None, "p99_ms": ms[int(len(ms) * 0.99)] if ms else None}
print(json.dumps({"phase": "blue_green", "rollout_s": round(ready - start, 1), "green_index_items": items,
                  "during_rollout": summary(during), "after_switch": summary(after),
                  "all_failed": sum(1 for r in rows if r["status"] != 200), "all_requests": len(rows)}))
EOF
