#!/usr/bin/env bash
# Runs a benchmark of the bench module and prints its machine-readable (JSON line) result.
#   scripts/bench.sh item-assignment [items=5000] [latencyItems=500] [modelThreads=1]
#   scripts/bench.sh beam-search [JMH options, e.g. -p beam=256 -p batch=1 -p bundle=models/default]
#     (without -p bundle: the default bundle and the reference shape d=256, 4 layers, 50 history
#      items, derived from it with random weights by training/shape_bundle.py)
#   scripts/bench.sh user-history [events=20000] [latencyEvents=1000]
#   scripts/bench.sh backlog-freshness [backlog=10000] [trickleMs=100]
#   scripts/bench.sh recommend-load [stepSeconds=15]
#   scripts/bench.sh index-scale [sizes=10000,100000,1000000]
#   scripts/bench.sh index-catch-up [items=1000000]
#   scripts/bench.sh freshness-load [secondsPerLevel=20] [content=vector|text]
#   scripts/bench.sh interaction-freshness [secondsPerLevel=15]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh --quiet --no-python
name=${1:?usage: scripts/bench.sh item-assignment [args...]}; shift
jar=bench/target/bench.jar
if [ ! -f "$jar" ] || [ -n "$(find . \( -path ./data -o -path ./state -o -name target -o -name .git \) -prune -o -type f \( -name '*.java' -o -name pom.xml -o -name '*.avsc' -o -path '*/src/main/resources/*' \) -newer "$jar" -print -quit)" ]; then
  # No colour codes in a log; touch the jar, which Maven leaves alone when only another
  # module changed, so the next command does not build again.
  mvn -q -B -Dstyle.color=never -DskipTests install 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g' >&2
  touch "$jar"
fi
case "$name" in
  item-assignment) main=io.sidstream.bench.ItemAssignmentBench ;;
  # JMH: extra arguments go to JMH, e.g. -p beam=256 -p batch=1 -rf json -rff out.json
  beam-search) main=io.sidstream.bench.BeamSearchBench
    if [[ " $* " != *" bundle="* ]]; then
      shape=bench/target/bundle-d256-l4-h50
      # Rebuilt when missing or older than the one-graph search (decoder_search.onnx).
      if ! grep -q searchFile "$shape/manifest.json" 2>/dev/null; then
        scripts/install-prereqs.sh --quiet
        /usr/bin/python3 training/shape_bundle.py --from models/default --out "$shape" 2>/dev/null >&2
      fi
      set -- -p "bundle=models/default,$shape" "$@"
    fi
    [ -f bench/target/matmul.onnx ] || /usr/bin/python3 bench/matmul_graph.py bench/target/matmul.onnx ;;
  user-history) main=io.sidstream.bench.HistoryBench ;;
  backlog-freshness) main=io.sidstream.bench.BacklogFreshnessBench ;;
  recommend-load) main=io.sidstream.bench.RecommendLoadBench ;;
  index-scale) main=io.sidstream.bench.IndexScaleBench ;;
  index-catch-up) main=io.sidstream.bench.IndexCatchUpBench ;;
  freshness-load) main=io.sidstream.bench.FreshnessLoadBench ;;
  interaction-freshness) main=io.sidstream.bench.InteractionFreshnessBench ;;
  *) echo "unknown benchmark $name (item-assignment, beam-search, user-history, backlog-freshness, recommend-load, index-scale, index-catch-up, freshness-load, interaction-freshness)" >&2; exit 2 ;;
esac
# ONNX Runtime 1.29 crashes in processes whose command line exceeds ~4 KB, and JMH forks its
# benchmark JVMs with the full classpath spelled out: so hand it a one-entry pathing jar.
cpjar=bench/target/classpath.jar
if [ ! -f "$cpjar" ] || [ "$jar" -nt "$cpjar" ]; then
  value="bench.jar$(for f in bench/target/lib/*.jar; do printf ' lib/%s' "$(basename "$f")"; done)"
  tmp=$(mktemp -d)
  { echo "Manifest-Version: 1.0"
    awk -v s="$value" 'BEGIN { line = "Class-Path: " s; print substr(line, 1, 70);
                               for (i = 71; i <= length(line); i += 69) print " " substr(line, i, 69) }'
  } > "$tmp/MANIFEST.MF"
  jar --create --file "$cpjar" --manifest "$tmp/MANIFEST.MF" -C "$tmp" MANIFEST.MF
  rm -rf "$tmp"
fi
exec java ${SIDSTREAM_JAVA_OPTS:-} -cp "$cpjar" "$main" "$@"
