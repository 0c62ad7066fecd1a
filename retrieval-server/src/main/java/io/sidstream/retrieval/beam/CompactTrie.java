package io.sidstream.retrieval.beam;

import java.util.Arrays;

/**
 * The live SID prefixes of a {@link SidTrie} snapshot as flat arrays, the trie input of the
 * one-graph search ({@code decoder_search.onnx}): nodes are numbered breadth-first from the root
 * (0), so the children of a node are consecutive and sorted by code, and a child's id is its
 * parent's {@link #firstChild} plus its rank among the parent's live codes. The {@link #innerNodes}
 * (depths 0 to L - 1) come first; each costs {@code ceil(K / 8) + 8} bytes of input instead of a
 * {@code K}-wide mask per beam, and every node, full prefixes included, 4 bytes of prior bias.
 *
 * <p>Immutable; built once per index version. Pure Java.
 */
public final class CompactTrie {
    private final int levels;
    private final int codebookSize;
    private final long version;
    private final int nodes;
    private final int innerNodes;
    private final byte[] bits;
    private final long[] firstChild;
    private final int[] depthStart;
    private final int[] parent;
    private final int[] code;

    private CompactTrie(
            int levels,
            int codebookSize,
            long version,
            byte[] bits,
            long[] firstChild,
            int[] depthStart,
            int[] parent,
            int[] code) {
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.version = version;
        this.nodes = parent.length;
        this.innerNodes = firstChild.length;
        this.bits = bits;
        this.firstChild = firstChild;
        this.depthStart = depthStart;
        this.parent = parent;
        this.code = code;
    }

    /**
     * Every live prefix of {@code trie}, levels 0 (the root) to L (full semantic prefixes). One
     * pass, in primitive arrays: a node's prefix is read back from its ancestors, so a catalog of
     * millions costs its node count in ints, not an object per prefix.
     */
    public static CompactTrie of(SidTrie trie) {
        int levels = trie.levels();
        int k = trie.codebookSize();
        long version = trie.version();
        Ints parents = new Ints();
        Ints codes = new Ints();
        parents.add(-1);
        codes.add(-1);
        int[] depthStart = new int[levels + 2];
        boolean[] allowed = new boolean[k];
        int[] prefix = new int[levels];
        int levelStart = 0;
        int levelEnd = 1;
        for (int depth = 0; depth <= levels; depth++) {
            depthStart[depth] = levelStart;
            if (depth == levels) {
                break;
            }
            for (int node = levelStart; node < levelEnd; node++) {
                for (int at = node, d = depth; d > 0; d--, at = parents.get(at)) {
                    prefix[d - 1] = codes.get(at);
                }
                if (trie.allowedNext(prefix, depth, allowed) == 0) {
                    continue;
                }
                for (int c = 0; c < k; c++) {
                    if (allowed[c]) {
                        parents.add(node);
                        codes.add(c);
                    }
                }
            }
            levelStart = levelEnd;
            levelEnd = parents.size();
        }
        int total = parents.size();
        depthStart[levels + 1] = total;
        int inner = depthStart[levels];
        int bytesPerNode = (k + 7) / 8;
        byte[] bits = new byte[inner * bytesPerNode];
        long[] firstChild = new long[inner];
        int[] parent = parents.toArray();
        int[] code = codes.toArray();
        // Children are appended parent by parent, so a parent's first child is the first node
        // naming it; a node without children keeps 0 (its bits are all clear). Only inner nodes
        // have children.
        for (int node = total - 1; node >= 1; node--) {
            int p = parent[node];
            firstChild[p] = node;
            bits[p * bytesPerNode + code[node] / 8] |= (byte) (1 << (code[node] % 8));
        }
        return new CompactTrie(levels, k, version, bits, firstChild, depthStart, parent, code);
    }

    /** Bytes of one inner node's row of {@link #bits}: {@code ceil(K / 8)}. */
    public int bytesPerNode() {
        return (codebookSize + 7) / 8;
    }

    public int levels() {
        return levels;
    }

    public int codebookSize() {
        return codebookSize;
    }

    /** The {@link SidTrie#version()} this was built from. */
    public long version() {
        return version;
    }

    public int nodes() {
        return nodes;
    }

    /** Nodes of depth 0 to L - 1, numbered before the full prefixes. */
    public int innerNodes() {
        return innerNodes;
    }

    /**
     * {@code [innerNodes][ceil(K/8)]}, row-major: bit {@code c % 8} of byte {@code c / 8} set =
     * code c leads to a live item.
     */
    public byte[] bits() {
        return bits.clone();
    }

    /** {@code [innerNodes]}: the id of each inner node's first child (0 for one without). */
    public long[] firstChild() {
        return firstChild.clone();
    }

    /**
     * {@code weight x log P(code | parent prefix)} of entering each node, per the live prior at its
     * {@code unit}; the root's entry is 0. All zeros when {@code prior} is null.
     */
    public float[] nodeBias(PopularityPrior prior, double weight, double unit) {
        float[] bias = new float[nodes];
        if (prior == null || weight == 0) {
            return bias;
        }
        PopularityPrior.Row row = prior.row();
        int[] prefix = new int[levels];
        int current = -1;
        for (int node = 1; node < nodes; node++) {
            int p = parent[node];
            if (p != current) {
                int depth = depthOf(p);
                prefixOf(p, prefix);
                row.at(prefix, depth, unit);
                current = p;
            }
            bias[node] = (float) (weight * row.log(code[node]));
        }
        return bias;
    }

    private int depthOf(int node) {
        int depth = 0;
        while (depth + 1 <= levels && depthStart[depth + 1] <= node) {
            depth++;
        }
        return depth;
    }

    private void prefixOf(int node, int[] into) {
        for (int at = node, depth = depthOf(node); depth > 0; depth--, at = parent[at]) {
            into[depth - 1] = code[at];
        }
    }

    /** A growable int array. */
    private static final class Ints {
        private int[] values = new int[1024];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = value;
        }

        int get(int index) {
            return values[index];
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
