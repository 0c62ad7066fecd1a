#!/usr/bin/env bash
# Runs a benchmark of the bench module and prints its machine-readable (JSON line) result.
#   scripts/bench.sh item-assignment [items=5000] [latencyItems=500]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-prereqs.sh --quiet --no-python
name=${1:?usage: scripts/bench.sh item-assignment [args...]}; shift
jar=bench/target/bench.jar
if [ ! -f "$jar" ] || [ -n "$(find . -path ./data -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$jar" -print -quit)" ]; then
  mvn -q -B -DskipTests install >&2
fi
case "$name" in
  item-assignment) main=io.sidstream.bench.ItemAssignmentBench ;;
  *) echo "unknown benchmark $name (item-assignment)" >&2; exit 2 ;;
esac
exec java ${SIDSTREAM_JAVA_OPTS:-} -cp "$jar:bench/target/lib/*" "$main" "$@"
