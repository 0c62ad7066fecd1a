#!/usr/bin/python3
"""Adds the one-graph beam search (decoder_search.onnx) to a contract-v2 bundle.

The graph is composed from the bundle's encode_history, decode_start and decode_next graphs
(sidstream_train/search_graph.py says what it computes), written into the bundle and listed in its
manifest as decoder.searchFile with its checksum. The bundle's version does not change: it is
derived from the encoder, history and step graphs only. `./sidstream bundle verify` then checks the
graph against the Java beam search on the bundle's parity histories.

Usage: training/search_graph.py --bundle models/default
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sidstream_train.search_graph import add_search_graph  # noqa: E402

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True, help="a contract-v2 bundle directory, rewritten in place")
    args = p.parse_args()
    out = add_search_graph(args.bundle)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
