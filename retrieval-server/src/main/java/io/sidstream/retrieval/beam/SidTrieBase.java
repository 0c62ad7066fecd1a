package io.sidstream.retrieval.beam;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The immutable bulk of a {@link SidTrie}: every item sorted by SID, held in primitive arrays so an
 * item costs a few dozen bytes instead of a few objects.
 *
 * <p>Layout: the nodes of depth {@code t} (prefixes of {@code t} codes) are numbered in SID order,
 * so the children of a node, and the items under a full prefix, are contiguous ranges. {@code
 * code[t-1][j]} is node j's last code and {@code start[t-1][j]} the first of its children at depth
 * {@code t+1} (at depth L: its first item), with one sentinel at the end. Item ids are UTF-8 bytes
 * in one arena, found by an open-addressing hash of item numbers. Listing times live only for the
 * items that have one, sorted by time, for the fresh-item window.
 */
final class SidTrieBase {
    final int levels;
    final int size;
    private final char[][] code;
    private final int[][] start;
    private final int[] collision;
    private final int[] idStart;
    private final byte[] ids;

    /**
     * Open addressing: item number + 1 in the low {@link #itemBits} bits, the rest a fingerprint of
     * the id's hash, so a probe compares id bytes only when the fingerprints agree.
     */
    private final int[] slots;

    private final int itemBits;
    final long[] listingTimes;
    final int[] listingItems;

    private SidTrieBase(
            int levels,
            int size,
            char[][] code,
            int[][] start,
            int[] collision,
            int[] idStart,
            byte[] ids,
            long[] listingTimes,
            int[] listingItems) {
        this.levels = levels;
        this.size = size;
        this.code = code;
        this.start = start;
        this.collision = collision;
        this.idStart = idStart;
        this.ids = ids;
        this.listingTimes = listingTimes;
        this.listingItems = listingItems;
        int capacity = Integer.highestOneBit(Math.max(4, size + size / 3)) << 1;
        this.slots = new int[capacity];
        this.itemBits = 32 - Integer.numberOfLeadingZeros(size + 1);
        for (int i = 0; i < size; i++) {
            int h = hashOf(ids, idStart[i], idStart[i + 1]);
            int slot = h & (capacity - 1);
            while (slots[slot] != 0) {
                slot = (slot + 1) & (capacity - 1);
            }
            slots[slot] = (i + 1) | fingerprint(h);
        }
    }

    /** The item number of {@code itemId}, or -1. */
    int find(String itemId) {
        byte[] key = itemId.getBytes(StandardCharsets.UTF_8);
        return find(key, 0, key.length);
    }

    /** The item number of the id in {@code key[from, to)}, or -1. */
    int find(byte[] key, int from, int to) {
        int mask = slots.length - 1;
        int h = hashOf(key, from, to);
        int print = fingerprint(h);
        int itemMask = itemBits == 32 ? -1 : (1 << itemBits) - 1;
        for (int slot = h & mask, found; (found = slots[slot]) != 0; slot = (slot + 1) & mask) {
            if ((found & ~itemMask) != print) {
                continue;
            }
            int i = (found & itemMask) - 1;
            if (Arrays.equals(ids, idStart[i], idStart[i + 1], key, from, to)) {
                return i;
            }
        }
        return -1;
    }

    private int fingerprint(int h) {
        // The top bits of the hash: the slot position uses the bottom ones.
        return itemBits >= 32 ? 0 : h & ~((1 << itemBits) - 1);
    }

    /** Adds {@code item} to {@code builder} under {@code codes}, listed at {@code listedAt}. */
    int copyTo(Builder builder, int item, int[] codes, long listedAt) {
        return builder.add(codes, collision[item], ids, idStart[item], idStart[item + 1], listedAt);
    }

    int idBytes() {
        return ids.length;
    }

    String itemId(int item) {
        return new String(
                ids, idStart[item], idStart[item + 1] - idStart[item], StandardCharsets.UTF_8);
    }

    int collision(int item) {
        return collision[item];
    }

    int nodes(int depth) {
        return code[depth - 1].length;
    }

    int code(int depth, int node) {
        return code[depth - 1][node];
    }

    /** First child of {@code node} at depth {@code depth + 1}, or its first item at depth L. */
    int firstChild(int depth, int node) {
        return depth == 0 ? 0 : start[depth - 1][node];
    }

    /** One past the last child (or item) of {@code node}. */
    int endChild(int depth, int node) {
        return depth == 0 ? nodes(1) : start[depth - 1][node + 1];
    }

    /** The node at depth {@code length} spelled by {@code prefix}; 0 for the root; -1 if absent. */
    int node(int[] prefix, int length) {
        int node = 0;
        for (int t = 1; t <= length; t++) {
            node = childWithCode(t - 1, node, prefix[t - 1]);
            if (node < 0) {
                return -1;
            }
        }
        return node;
    }

    private int childWithCode(int depth, int node, int c) {
        if (size == 0) {
            return -1;
        }
        char[] codes = code[depth];
        int lo = firstChild(depth, node);
        int hi = endChild(depth, node) - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int at = codes[mid];
            if (at < c) {
                lo = mid + 1;
            } else if (at > c) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Items under {@code node} at depth {@code depth}: how many, counting down to the leaves. */
    int itemsBelow(int depth, int node) {
        int first = node;
        int end = node + 1;
        for (int t = depth; t <= levels; t++) {
            first = start[t - 1][first];
            end = start[t - 1][end];
        }
        return end - first;
    }

    /**
     * Fills {@code path[t-1]} with the node of depth {@code t} above {@code item} and {@code sid}
     * with its codes then its collision code.
     */
    void pathOf(int item, int[] path, int[] sid) {
        int below = item;
        for (int t = levels; t >= 1; t--) {
            int node = lastAtOrBefore(start[t - 1], below);
            path[t - 1] = node;
            sid[t - 1] = code[t - 1][node];
            below = node;
        }
        sid[levels] = collision[item];
    }

    private static int lastAtOrBefore(int[] starts, int value) {
        // starts is non-decreasing and every node is non-empty, so the answer is unique.
        int lo = 0;
        int hi = starts.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= value) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Visits every item in SID order with its codes; {@code codes} is reused between calls. */
    void forEach(ItemVisitor visitor) {
        if (size > 0) {
            visit(1, 0, nodes(1), new int[levels], visitor);
        }
    }

    private void visit(int depth, int from, int to, int[] codes, ItemVisitor visitor) {
        for (int node = from; node < to; node++) {
            codes[depth - 1] = code[depth - 1][node];
            int first = start[depth - 1][node];
            int end = start[depth - 1][node + 1];
            if (depth == levels) {
                for (int item = first; item < end; item++) {
                    visitor.visit(item, codes);
                }
            } else {
                visit(depth + 1, first, end, codes, visitor);
            }
        }
    }

    interface ItemVisitor {
        void visit(int item, int[] codes);
    }

    /** Heap bytes of the arrays (what the bench reports beside the measured heap). */
    long arrayBytes() {
        long bytes = 4L * (collision.length + idStart.length + slots.length + listingItems.length);
        bytes += ids.length + 8L * listingTimes.length;
        for (int t = 0; t < levels; t++) {
            bytes += 2L * code[t].length + 4L * start[t].length;
        }
        return bytes;
    }

    /** The hash of the UTF-8 id in {@code bytes[from, to)} (also used to dedupe batches). */
    static int hashOf(byte[] bytes, int from, int to) {
        return mix(hash(bytes, from, to));
    }

    private static int hash(byte[] bytes, int from, int to) {
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            h = (h ^ bytes[i]) * 0x01000193;
        }
        return h;
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    /**
     * Builds a base from items added in ascending SID order (ties in any order). Sizes are known up
     * front, so nothing is copied twice.
     */
    static final class Builder {
        private final int levels;
        private final int capacity;
        private final char[][] code;
        private final int[][] start;
        private final int[] nodeCount;
        private final int[] collision;
        private final int[] idStart;
        private byte[] ids;
        private int idBytes;
        private final long[] listedAt;
        private final int[] last;
        private int size;

        Builder(int levels, int capacity, int idBytesHint) {
            this.levels = levels;
            this.capacity = capacity;
            this.code = new char[levels][];
            this.start = new int[levels][];
            for (int t = 0; t < levels; t++) {
                code[t] = new char[Math.max(16, Math.min(capacity, 1 << 16))];
                start[t] = new int[code[t].length + 1];
            }
            this.nodeCount = new int[levels];
            this.collision = new int[capacity];
            this.idStart = new int[capacity + 1];
            this.ids = new byte[Math.max(16, idBytesHint)];
            this.listedAt = new long[capacity];
            this.last = new int[levels];
        }

        int size() {
            return size;
        }

        /** Adds the next item; returns its item number. */
        int add(
                int[] codes,
                int collisionCode,
                byte[] id,
                int idFrom,
                int idTo,
                long listedAtMillis) {
            if (size == capacity) {
                throw new IllegalStateException("builder is full at " + capacity + " items");
            }
            int diverges = levels;
            if (size == 0) {
                diverges = 0;
            } else {
                for (int t = 0; t < levels; t++) {
                    if (codes[t] != last[t]) {
                        diverges = t;
                        break;
                    }
                }
            }
            for (int t = diverges; t < levels; t++) {
                int n = nodeCount[t];
                if (n == code[t].length) {
                    int grown = Math.min(capacity, Math.max(n * 2, 16));
                    code[t] = Arrays.copyOf(code[t], grown);
                    start[t] = Arrays.copyOf(start[t], grown + 1);
                }
                code[t][n] = (char) codes[t];
                start[t][n] = t + 1 < levels ? nodeCount[t + 1] : size;
                nodeCount[t] = n + 1;
                last[t] = codes[t];
            }
            collision[size] = collisionCode;
            int length = idTo - idFrom;
            if (idBytes + length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, idBytes + length));
            }
            System.arraycopy(id, idFrom, ids, idBytes, length);
            idStart[size] = idBytes;
            idBytes += length;
            listedAt[size] = listedAtMillis;
            idStart[size + 1] = idBytes;
            return size++;
        }

        /**
         * The base; {@code listingOrder} lists the item numbers that have a listing time, in
         * ascending time (the caller merges already sorted runs, so nothing sorts here).
         */
        SidTrieBase build(int[] listingOrder, int listings) {
            char[][] codes = new char[levels][];
            int[][] starts = new int[levels][];
            for (int t = 0; t < levels; t++) {
                int n = nodeCount[t];
                codes[t] = Arrays.copyOf(code[t], n);
                starts[t] = Arrays.copyOf(start[t], n + 1);
                starts[t][n] = t + 1 < levels ? nodeCount[t + 1] : size;
            }
            long[] times = new long[listings];
            int[] items = Arrays.copyOf(listingOrder, listings);
            for (int i = 0; i < listings; i++) {
                times[i] = listedAt[items[i]];
            }
            return new SidTrieBase(
                    levels,
                    size,
                    codes,
                    starts,
                    size == capacity ? collision : Arrays.copyOf(collision, size),
                    size == capacity ? idStart : Arrays.copyOf(idStart, size + 1),
                    idBytes == ids.length ? ids : Arrays.copyOf(ids, idBytes),
                    times,
                    items);
        }

        SidTrieBase build() {
            return build(new int[0], 0);
        }
    }
}
