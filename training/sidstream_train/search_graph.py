"""The whole constrained beam search as one ONNX graph, composed from a bundle's contract-v2 graphs.

Serving runs the search as L + 1 ONNX Runtime calls per batch (encode, then one per level), and
between levels the beam cache leaves the runtime and comes back in as an input: on a GPU that is
the cache crossing host<->device at every level, because the Java API has no I/O binding. This
graph runs encode_history, decode_start and L - 1 decode_next inside one call, with the constraint
masks, the top-k and the parent gather in the graph, so a batch is one call whose inputs are the
histories and a compact trie, and whose outputs are the final prefixes and their scores.

It is composed from the bundle's own ONNX files (no PyTorch, no weights needed), so any v2 bundle
whose graphs hold no control flow (If/Loop, refused) can have one, the trainer's or a team's own.
Inputs are bound by the contract's names. Weights shared by the copies of decode_next are stored
once.

Inputs (N trie nodes, numbered breadth-first from the root 0, so a node's children are
consecutive and sorted by code; the first I < N are the inner nodes, depths 0..L-1, and the rest
the full L-code prefixes):
  history_tokens  int64 [R, T]        as for encode_history
  beam_width      int64 [1]           beams kept per request at every level
  trie_bits       uint8 [I, ceil(K/8)] bit c % 8 of byte c // 8: code c leads to a live item
  trie_first_child int64 [I]          node id of the node's first child
  node_bias       float [N]           added to a beam's score on entering the node (the live
                                      prior's weight x log P(code | parent); zeros for none)
Outputs:
  prefixes        int64 [R, W, L]     final beams, best first; W = min(beam_width, W' x K) of the
                                      last level's W' beams
  scores          float [R, W]        sum of log-probs and biases; -inf marks a slot without a beam
                                      (more slots than live prefixes)

Ties between equal scores go to the lower (parent, code) index (ONNX TopK); the Java search breaks
them by prefix. Scores are float32 sums (the Java search sums in double).
"""
import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .export import OPSET, file_entries

GRAPH_NAME = "decoder-search"
FILE = "decoder_search.onnx"


def add_search_graph(bundle):
    """Writes the search graph into a v2 bundle and lists it in the manifest; returns its path."""
    path = os.path.join(bundle, "manifest.json")
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    decoder = manifest["decoder"]
    if "decodeStartFile" not in decoder or "decodeNextFile" not in decoder:
        raise SystemExit(f"{bundle}: not a contract-v2 bundle (no decodeStartFile/decodeNextFile)")

    def load(key):
        return onnx.load(os.path.join(bundle, decoder[key]))

    model = compose(load("encodeHistoryFile"), load("decodeStartFile"), load("decodeNextFile"),
                    manifest["sid"]["levels"], manifest["sid"]["codebookSize"],
                    manifest["tokens"]["levelOffsets"])
    onnx.save(model, os.path.join(bundle, FILE))
    decoder["searchFile"] = FILE
    manifest["files"].update(file_entries(bundle, [FILE]))
    with open(path, "w", encoding="utf-8") as f:  # the layout the Java tools write
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return os.path.join(bundle, FILE)




class _Composer:
    def __init__(self):
        self.nodes = []
        self.initializers = {}   # canonical name -> TensorProto
        self.by_content = {}     # content digest -> canonical name
        self.counter = 0

    def name(self, hint):
        self.counter += 1
        return f"search/{hint}_{self.counter}"

    def const(self, value, dtype, hint="c"):
        array = np.array(value, dtype=dtype)
        return self.shared(numpy_helper.from_array(array, self.name(hint)))

    def shared(self, tensor):
        array = numpy_helper.to_array(tensor)
        digest = hashlib.sha256(
            str(array.dtype).encode() + str(array.shape).encode() + array.tobytes()).hexdigest()
        if digest not in self.by_content:
            canonical = numpy_helper.from_array(array, f"w/{len(self.by_content)}")
            self.by_content[digest] = canonical.name
            self.initializers[canonical.name] = canonical
        return self.by_content[digest]

    def op(self, op_type, inputs, outputs=1, **attrs):
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=names[0], **attrs))
        return names[0] if outputs == 1 else names

    def inline(self, graph, prefix, bound):
        """Copies graph's nodes, its inputs bound to outer values; returns its outputs' names."""
        rename = dict(bound)
        for init in graph.initializer:
            rename[init.name] = self.shared(init)

        def outer(value):
            if not value:
                return value
            return rename.setdefault(value, prefix + value)

        for node in graph.node:
            if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
                raise ValueError(f"{node.op_type} with a subgraph cannot be inlined")
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            del copy.input[:]
            del copy.output[:]
            copy.input.extend(outer(i) for i in node.input)
            copy.output.extend(outer(o) for o in node.output)
            copy.name = prefix + (node.name or node.op_type)
            self.nodes.append(copy)
        return [outer(o.name) for o in graph.output]


def _bound(model, by_name):
    """The graph's inputs bound by the contract's names; any other input is an error."""
    names = [i.name for i in model.graph.input]
    if sorted(names) != sorted(by_name):
        raise ValueError(f"{model.graph.name}: inputs {names}, the contract says {sorted(by_name)}")
    return dict(by_name)


def _outputs(model, wanted, inlined):
    """The outer names of the graph's outputs named `wanted`, in that order."""
    by_name = {o.name: outer for o, outer in zip(model.graph.output, inlined)}
    missing = [w for w in wanted if w not in by_name]
    if missing:
        raise ValueError(f"{model.graph.name}: no outputs {missing}")
    return [by_name[w] for w in wanted]


def compose(encode_history, decode_start, decode_next, levels, codebook_size, level_offsets):
    """One ModelProto running the whole search; the three arguments are loaded ModelProtos."""
    c = _Composer()
    k = codebook_size
    hist = "history_tokens"
    past_names = ["past_keys", "past_values", "past_mask"]
    cache_names = ["log_probs", "next_beam_keys", "next_beam_values"]
    past = _outputs(encode_history, past_names,
                    c.inline(encode_history.graph, "encode/", _bound(encode_history, {"history_tokens": hist})))
    start_out = c.inline(decode_start.graph, "level0/", _bound(decode_start, dict(zip(past_names, past))))
    log_probs, beam_keys, beam_values = _outputs(decode_start, cache_names, start_out)

    bytes_per_node = (k + 7) // 8
    powers = c.const([1 << b for b in range(8)], np.int32, "bit_weights")
    two = c.const(2, np.int32, "two")
    k_const = c.const(k, np.int64, "k")
    zero = c.const(0, np.int64, "zero")
    one = c.const(1, np.int64, "one")
    neg_inf = c.const(-np.inf, np.float32, "neg_inf")
    inner_max = c.op("Sub", [c.op("Shape", ["trie_first_child"]), one])
    nodes_max = c.op("Sub", [c.op("Shape", ["node_bias"]), one])

    # Every request starts at the root with score 0: [R, 1].
    requests = c.op("Slice", [c.op("Shape", [hist]), c.const([0], np.int64), c.const([1], np.int64)])
    r_by_1 = c.op("Concat", [requests, c.const([1], np.int64)], axis=0)
    node = c.op("ConstantOfShape", [r_by_1], value=helper.make_tensor("v", TensorProto.INT64, [1], [0]))
    score = c.op("ConstantOfShape", [r_by_1], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0]))
    prefixes = None
    for level in range(levels):
        # mask[R, Wp, K]: code c of the beam's node leads to a live item.
        rows = c.op("Cast", [c.op("Gather", ["trie_bits", node], axis=0)], to=TensorProto.INT32)
        bits = c.op("Mod", [c.op("Div", [c.op("Unsqueeze", [rows, c.const([-1], np.int64)]), powers]), two])
        shape = c.op("Concat", [c.op("Shape", [node]), c.const([bytes_per_node * 8], np.int64)], axis=0)
        bits = c.op("Reshape", [bits, shape])
        if bytes_per_node * 8 != k:
            bits = c.op("Slice", [bits, c.const([0], np.int64), c.const([k], np.int64), c.const([-1], np.int64)])
        live = c.op("Cast", [bits], to=TensorProto.INT64)
        mask = c.op("Cast", [live], to=TensorProto.BOOL)
        # The child's node id: first child + rank among the live codes; clamped so a dead code
        # (masked anyway) never indexes past the trie, nor past the inner nodes at the next level.
        rank = c.op("Sub", [c.op("CumSum", [live, c.const(-1, np.int64)]), one])
        first = c.op("Unsqueeze", [c.op("Gather", ["trie_first_child", node], axis=0), c.const([-1], np.int64)])
        child = c.op("Min", [c.op("Max", [c.op("Add", [first, rank]), zero]), nodes_max])
        bias = c.op("Gather", ["node_bias", child], axis=0)
        step = c.op("Add", [c.op("Add", [c.op("Unsqueeze", [score, c.const([-1], np.int64)]), log_probs]), bias])
        step = c.op("Where", [mask, step, neg_inf])
        flat_shape = c.op("Concat", [requests, c.const([-1], np.int64)], axis=0)
        flat = c.op("Reshape", [step, flat_shape])
        flat_child = c.op("Reshape", [child, flat_shape])
        size = c.op("Slice", [c.op("Shape", [flat]), c.const([1], np.int64), c.const([2], np.int64)])
        keep = c.op("Min", ["beam_width", size])
        score, index = c.op("TopK", [flat, keep], outputs=2, axis=1, largest=1, sorted=1)
        parent = c.op("Div", [index, k_const])
        code = c.op("Mod", [index, k_const])
        node = c.op("GatherElements", [flat_child, index], axis=1)
        if level + 1 < levels:
            node = c.op("Min", [node, inner_max])
        code_col = c.op("Unsqueeze", [code, c.const([-1], np.int64)])
        if prefixes is None:
            prefixes = code_col
        else:
            gather_shape = c.op("Concat", [c.op("Shape", [parent]), c.const([level], np.int64)], axis=0)
            by_parent = c.op("Expand", [c.op("Unsqueeze", [parent, c.const([-1], np.int64)]), gather_shape])
            prefixes = c.op("Concat", [c.op("GatherElements", [prefixes, by_parent], axis=1), code_col], axis=-1)
        if level + 1 < levels:
            tokens = c.op("Add", [code, c.const(level_offsets[level], np.int64)])
            outer = _bound(decode_next, {**dict(zip(past_names, past)), "beam_keys": beam_keys,
                                         "beam_values": beam_values, "parents": parent, "new_tokens": tokens})
            next_out = c.inline(decode_next.graph, f"level{level + 1}/", outer)
            log_probs, beam_keys, beam_values = _outputs(decode_next, cache_names, next_out)
    c.nodes.append(helper.make_node("Identity", [prefixes], ["prefixes"], name="search/out_prefixes"))
    c.nodes.append(helper.make_node("Identity", [score], ["scores"], name="search/out_scores"))

    inputs = [
        helper.make_tensor_value_info(hist, TensorProto.INT64, ["requests", "history"]),
        helper.make_tensor_value_info("beam_width", TensorProto.INT64, [1]),
        helper.make_tensor_value_info("trie_bits", TensorProto.UINT8, ["inner_nodes", bytes_per_node]),
        helper.make_tensor_value_info("trie_first_child", TensorProto.INT64, ["inner_nodes"]),
        helper.make_tensor_value_info("node_bias", TensorProto.FLOAT, ["nodes"]),
    ]
    outputs = [
        helper.make_tensor_value_info("prefixes", TensorProto.INT64, ["requests", "beams", levels]),
        helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["requests", "beams"]),
    ]
    graph = helper.make_graph(c.nodes, GRAPH_NAME, inputs, outputs, list(c.initializers.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sidstream-search-graph")
    model.ir_version = min(model.ir_version, encode_history.ir_version)
    for key, value in {"sidstream.graph": GRAPH_NAME, "sidstream.levels": levels,
                       "sidstream.codebook_size": codebook_size}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(model)
    return model
