#!/usr/bin/env bash
# Installs what sidstream needs on a fresh Debian 12 machine, and nothing that is already there:
#   - a JDK >= 17 and Maven >= 3.8 (build and run the Java modules),
#   - python3-torch, python3-onnx, python3-numpy, python3-sentencepiece (the reference trainer in training/; Debian's
#     /usr/bin/python3, because PyPI is not reachable from the build machines), and OpenBLAS:
#     Debian's torch links the generic libblas.so.3, which is ~20x slower than OpenBLAS; installing
#     libopenblas0-pthread switches the libblas.so.3 alternative to it.
#   - with --browser: Debian's chromium, which the dashboard's browser test drives headless.
#   - with --clients: Debian's python3-confluent-kafka and python3-avro, the non-Java peers the
#     contract tests produce and consume with (librdkafka's default partitioner included).
# Usage: scripts/install-prereqs.sh [--quiet] [--no-python] [--browser] [--clients]
set -euo pipefail

quiet=false; python=true; browser=false; clients=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --no-python) python=false ;;
    --browser) browser=true ;;
    --clients) clients=true ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done
say() { $quiet || echo "$@" >&2; }

missing=()
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then missing+=(openjdk-17-jdk-headless); fi
if ! command -v mvn >/dev/null; then missing+=(maven); fi
if $python && ! /usr/bin/python3 -c 'import torch, onnx, numpy' >/dev/null 2>&1; then
  missing+=(python3-torch python3-onnx python3-numpy)
fi
if $python && ! /usr/bin/python3 -c 'import sentencepiece' >/dev/null 2>&1; then
  missing+=(python3-sentencepiece)
fi
if $python && [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] && [ "$(uname -m)" = x86_64 ]; then
  missing+=(libopenblas0-pthread)
fi
if $browser && ! command -v chromium >/dev/null; then missing+=(chromium); fi
if $clients && ! /usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1; then
  missing+=(python3-confluent-kafka)
fi
if $clients && ! /usr/bin/python3 -c 'import avro' >/dev/null 2>&1; then missing+=(python3-avro); fi

if [ ${#missing[@]} -eq 0 ]; then
  say "prerequisites: all present"
  exit 0
fi

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "prerequisites: installed ${missing[*]}"
