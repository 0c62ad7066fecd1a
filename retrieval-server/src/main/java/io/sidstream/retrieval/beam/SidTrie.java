package io.sidstream.retrieval.beam;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The live index of SIDs that exist right now: which codes continue which prefix (the beam-search
 * mask) and which items sit under each full L-level prefix (by collision code).
 *
 * <p>Most items live in an immutable, array-packed {@link SidTrieBase} (a few dozen bytes an item);
 * changes since it was built live in a small delta beside it (added and moved items, removal bits
 * of base items). When the delta outgrows its limit (1/16 of the base, between 4,096 and 262,144
 * changes) the writer merges both into a new base in one linear pass and swaps it in, so the
 * structure stays compact under any stream of changes; {@link #applyAll} merges a large batch (a
 * catch-up) the same way without going through the delta.
 *
 * <p>Updated by one writer (the {@code items.sid.v1} consumer) while any number of searches read
 * it: readers never block and never see a code counted that has no item below it at the time of the
 * update; a search that races a delisting may reach a prefix that just emptied, which then expands
 * to no item, so an invalid SID can never be returned. Every update bumps {@link #version()}.
 */
public final class SidTrie {
    private static final int BITS = 14;
    private static final int MIN_DELTA = 4_096;
    private static final int MAX_DELTA = 262_144;

    private final int levels;
    private final int codebookSize;
    private final int fixedDeltaLimit;

    /** Bits that hold one code: SIDs pack into a long first-level-first for sorting. */
    private final int codeBits;

    private final AtomicLong version = new AtomicLong();
    private final AtomicLong merges = new AtomicLong();
    private volatile View view;

    /** Writer-side counts of removed base items per base node, keyed like {@link #nodeKey}. */
    private Map<Long, Integer> removedBelow = new HashMap<>();

    public SidTrie(int levels, int codebookSize) {
        this(levels, codebookSize, 0);
    }

    /** A trie that merges its delta after {@code deltaLimit} changes (0: the adaptive limit). */
    SidTrie(int levels, int codebookSize, int deltaLimit) {
        if (levels < 1 || levels > 4 || codebookSize < 1 || codebookSize > (1 << BITS)) {
            throw new IllegalArgumentException(
                    "supports 1..4 levels of up to "
                            + (1 << BITS)
                            + " codes, got "
                            + levels
                            + "x"
                            + codebookSize);
        }
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.fixedDeltaLimit = deltaLimit;
        this.codeBits = Math.max(1, 32 - Integer.numberOfLeadingZeros(codebookSize - 1));
        SidTrieBase empty = new SidTrieBase.Builder(levels, 0, 0).build();
        this.view = new View(empty, new Delta(empty));
    }

    public int levels() {
        return levels;
    }

    public int codebookSize() {
        return codebookSize;
    }

    /** Incremented on every change; stamped on results so they say what they were computed on. */
    public long version() {
        return version.get();
    }

    /** Live items. */
    public int size() {
        View v = view;
        return v.base.size - v.delta.removedCount + v.delta.items.size();
    }

    /** How many times the delta was merged into a new base. */
    public long merges() {
        return merges.get();
    }

    /**
     * Adds or moves an item to {@code sid} (L codes then the collision code); it counts as listed
     * long ago (never fresh).
     */
    public void put(String itemId, int[] sid) {
        put(itemId, sid, Long.MIN_VALUE);
    }

    /**
     * Adds or moves an item to {@code sid} (L codes then the collision code); it was listed or last
     * changed at {@code listedAtMillis}.
     */
    public synchronized void put(String itemId, int[] sid, long listedAtMillis) {
        checkSid(sid);
        putChecked(itemId, sid.clone(), listedAtMillis);
        mergeIfFull();
    }

    /** Removes an item; no-op when absent. */
    public synchronized void remove(String itemId) {
        removeChecked(itemId);
        mergeIfFull();
    }

    /** An empty batch of changes for {@link #applyAll}. */
    public Batch newBatch() {
        return new Batch(levels + 1);
    }

    /**
     * Applies {@code batch} in order, as if each change were a {@link #put} or {@link #remove},
     * then empties it. A batch as large as a quarter of the delta's limit is merged straight into a
     * new base, which readers see at once when this returns: a catch-up of millions of SIDs costs a
     * few linear passes. Checks every SID first and applies nothing when one does not fit.
     */
    public synchronized void applyAll(Batch batch) {
        if (batch.width != levels + 1) {
            throw new IllegalArgumentException("batch of another trie");
        }
        int[] sid = new int[levels + 1];
        for (int i = 0; i < batch.size; i++) {
            if (!batch.isRemoval(i)) {
                checkSid(batch.sid(i, sid));
            }
        }
        if (batch.size < deltaLimit() / 4) {
            for (int i = 0; i < batch.size; i++) {
                if (batch.isRemoval(i)) {
                    removeChecked(batch.itemId(i));
                } else {
                    putChecked(batch.itemId(i), batch.sid(i, new int[levels + 1]), batch.times[i]);
                }
            }
            mergeIfFull();
        } else {
            merge(batch);
            version.addAndGet(batch.size);
        }
        batch.clear();
    }

    /**
     * Changes gathered for {@link #applyAll}, held in flat arrays (a catch-up batch holds millions:
     * one object each would cost more than the index they build).
     */
    public static final class Batch {
        private final int width;
        private byte[] ids = new byte[1024];
        private int idBytes;
        private int[] idStart = new int[65];
        private int[] sids;
        private long[] times = new long[64];
        private int size;

        private Batch(int width) {
            this.width = width;
            this.sids = new int[64 * width];
        }

        /** {@code itemId} now has {@code sid} (L codes then the collision code), listed then. */
        public void put(String itemId, int[] sid, long listedAtMillis) {
            if (sid.length != width || Arrays.stream(sid).anyMatch(c -> c < 0)) {
                throw new IllegalArgumentException(
                        "SID "
                                + Arrays.toString(sid)
                                + " must have "
                                + width
                                + " codes, none negative");
            }
            add(itemId, listedAtMillis);
            System.arraycopy(sid, 0, sids, (size - 1) * width, width);
        }

        /** {@code itemId} is gone. */
        public void remove(String itemId) {
            add(itemId, Long.MIN_VALUE);
            sids[(size - 1) * width] = -1;
        }

        public int size() {
            return size;
        }

        public void clear() {
            size = 0;
            idBytes = 0;
        }

        private void add(String itemId, long at) {
            byte[] id = itemId.getBytes(StandardCharsets.UTF_8);
            add(id, 0, id.length, at);
        }

        /** Appends change {@code i} of {@code other} as it is. */
        void append(Batch other, int i) {
            add(other.ids, other.idStart[i], other.idStart[i + 1], other.times[i]);
            System.arraycopy(other.sids, i * width, sids, (size - 1) * width, width);
        }

        private void add(byte[] id, int from, int to, long at) {
            int length = to - from;
            if (size == times.length) {
                int grown = size * 2;
                times = Arrays.copyOf(times, grown);
                idStart = Arrays.copyOf(idStart, grown + 1);
                sids = Arrays.copyOf(sids, grown * width);
            }
            if (idBytes + length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, idBytes + length));
            }
            System.arraycopy(id, from, ids, idBytes, length);
            idStart[size] = idBytes;
            idBytes += length;
            idStart[size + 1] = idBytes;
            times[size] = at;
            size++;
        }

        boolean isRemoval(int i) {
            return sids[i * width] < 0;
        }

        int[] sid(int i, int[] out) {
            System.arraycopy(sids, i * width, out, 0, width);
            return out;
        }

        int code(int i, int level) {
            return sids[i * width + level];
        }

        String itemId(int i) {
            return new String(ids, idStart[i], idStart[i + 1] - idStart[i], StandardCharsets.UTF_8);
        }

        int hash(int i) {
            return SidTrieBase.hashOf(ids, idStart[i], idStart[i + 1]);
        }

        boolean sameId(int i, int j) {
            return Arrays.equals(ids, idStart[i], idStart[i + 1], ids, idStart[j], idStart[j + 1]);
        }

        int findIn(SidTrieBase base, int i) {
            return base.find(ids, idStart[i], idStart[i + 1]);
        }

        int copyTo(SidTrieBase.Builder builder, int i, int[] codes) {
            return builder.add(
                    codes, code(i, width - 1), ids, idStart[i], idStart[i + 1], times[i]);
        }

        int idLength(int i) {
            return idStart[i + 1] - idStart[i];
        }
    }

    /** Throws {@link IllegalArgumentException} unless {@code sid} fits this trie. */
    public void checkSid(int[] sid) {
        if (sid.length != levels + 1) {
            throw new IllegalArgumentException(
                    "SID " + Arrays.toString(sid) + " must have " + (levels + 1) + " codes");
        }
        for (int l = 0; l < levels; l++) {
            if (sid[l] < 0 || sid[l] >= codebookSize) {
                throw new IllegalArgumentException(
                        "code " + sid[l] + " at level " + l + " is out of range");
            }
        }
        if (sid[levels] < 0) {
            throw new IllegalArgumentException("collision code " + sid[levels] + " is negative");
        }
    }

    private void putChecked(String itemId, int[] sid, long listedAtMillis) {
        View v = view;
        Delta d = v.delta;
        Entry current = d.items.get(itemId);
        int baseItem = current == null ? liveBaseItem(v, itemId) : -1;
        int[] path = new int[levels];
        int[] baseSid = new int[levels + 1];
        if (baseItem >= 0) {
            v.base.pathOf(baseItem, path, baseSid);
        }
        if (current != null && Arrays.equals(current.sid, sid)) {
            unlist(d, itemId, current.listedAt);
            d.items.put(itemId, new Entry(sid, listedAtMillis));
            list(d, itemId, listedAtMillis);
            version.incrementAndGet();
            return;
        }
        if (baseItem >= 0 && Arrays.equals(baseSid, sid)) {
            Long before = d.relisted.put(baseItem, listedAtMillis);
            if (before != null) {
                unlist(d, itemId, before);
            }
            list(d, itemId, listedAtMillis);
            version.incrementAndGet();
            return;
        }
        // The new SID is readable at once; the old place empties before the new one fills, so a
        // search never finds the item twice.
        d.items.put(itemId, new Entry(sid, listedAtMillis));
        if (current != null) {
            unlink(d, itemId, current);
        } else if (baseItem >= 0) {
            removeFromBase(v, baseItem, path, itemId);
        }
        link(d, itemId, sid);
        list(d, itemId, listedAtMillis);
        version.incrementAndGet();
    }

    private void removeChecked(String itemId) {
        View v = view;
        Delta d = v.delta;
        Entry current = d.items.get(itemId);
        if (current != null) {
            unlink(d, itemId, current);
            d.items.remove(itemId);
            version.incrementAndGet();
            return;
        }
        int baseItem = liveBaseItem(v, itemId);
        if (baseItem >= 0) {
            int[] path = new int[levels];
            v.base.pathOf(baseItem, path, new int[levels + 1]);
            removeFromBase(v, baseItem, path, itemId);
            version.incrementAndGet();
        }
    }

    private static int liveBaseItem(View v, String itemId) {
        int item = v.base.find(itemId);
        return item >= 0 && !v.delta.isRemoved(item) ? item : -1;
    }

    private void link(Delta d, String itemId, int[] sid) {
        // Leaf first, counts after: a reader that sees a count > 0 finds the item below it.
        long leafKey = prefixKey(sid, levels);
        Item[] leaf = d.leaves.get(leafKey);
        Item item = new Item(itemId, sid[levels]);
        Item[] grown = leaf == null ? new Item[] {item} : Arrays.copyOf(leaf, leaf.length + 1);
        grown[grown.length - 1] = item;
        Arrays.sort(grown, Comparator.comparingInt(Item::collision));
        d.leaves.put(leafKey, grown);
        for (int l = levels - 1; l >= 0; l--) {
            count(d, prefixKey(sid, l), sid[l], 1);
        }
    }

    private void unlink(Delta d, String itemId, Entry entry) {
        int[] sid = entry.sid;
        // Counts first, leaf after: readers stop reaching the leaf before it empties.
        for (int l = 0; l < levels; l++) {
            count(d, prefixKey(sid, l), sid[l], -1);
        }
        long leafKey = prefixKey(sid, levels);
        Item[] leaf = d.leaves.get(leafKey);
        if (leaf != null) {
            Item[] kept =
                    Arrays.stream(leaf)
                            .filter(i -> !i.itemId().equals(itemId))
                            .toArray(Item[]::new);
            if (kept.length == 0) {
                d.leaves.remove(leafKey);
            } else {
                d.leaves.put(leafKey, kept);
            }
        }
        unlist(d, itemId, entry.listedAt);
    }

    /** Copy-on-write (code, count) pairs, so a reader always sees a whole array. */
    private static void count(Delta d, long key, int code, int change) {
        int[] pairs = d.children.get(key);
        int at = -1;
        for (int i = 0; pairs != null && i < pairs.length; i += 2) {
            if (pairs[i] == code) {
                at = i;
            }
        }
        if (at < 0) {
            if (change > 0) {
                int[] grown = pairs == null ? new int[2] : Arrays.copyOf(pairs, pairs.length + 2);
                grown[grown.length - 2] = code;
                grown[grown.length - 1] = change;
                d.children.put(key, grown);
            }
            return;
        }
        int left = pairs[at + 1] + change;
        if (left > 0) {
            int[] copy = pairs.clone();
            copy[at + 1] = left;
            d.children.put(key, copy);
        } else if (pairs.length == 2) {
            d.children.remove(key);
        } else {
            int[] shrunk = new int[pairs.length - 2];
            System.arraycopy(pairs, 0, shrunk, 0, at);
            System.arraycopy(pairs, at + 2, shrunk, at, pairs.length - at - 2);
            d.children.put(key, shrunk);
        }
    }

    private void removeFromBase(View v, int item, int[] path, String itemId) {
        Delta d = v.delta;
        // Emptied subtrees first (top down), the item's bit after: as in unlink.
        for (int t = 1; t <= levels; t++) {
            int gone = removedBelow.merge(nodeKey(t, path[t - 1]), 1, Integer::sum);
            if (gone == v.base.itemsBelow(t, path[t - 1])) {
                setBit(d.emptied[t - 1], path[t - 1]);
            }
        }
        setBit(d.removed, item);
        d.removedCount++;
        Long relisted = d.relisted.remove(item);
        if (relisted != null) {
            unlist(d, itemId, relisted);
        }
    }

    private static void list(Delta d, String itemId, long at) {
        if (at != Long.MIN_VALUE) {
            d.listings.computeIfAbsent(at, t -> ConcurrentHashMap.newKeySet()).add(itemId);
        }
    }

    private static void unlist(Delta d, String itemId, long at) {
        Set<String> ids = d.listings.get(at);
        if (ids != null) {
            ids.remove(itemId);
            if (ids.isEmpty()) {
                d.listings.remove(at);
            }
        }
    }

    private int deltaLimit() {
        if (fixedDeltaLimit > 0) {
            return fixedDeltaLimit;
        }
        return Math.max(MIN_DELTA, Math.min(MAX_DELTA, view.base.size / 16));
    }

    private void mergeIfFull() {
        if (view.delta.changes() > deltaLimit()) {
            merge(newBatch());
        }
    }

    /**
     * Builds a new base from the live base items, the delta's items and {@code batch} (later wins),
     * in one pass over the base in SID order, and swaps it in with an empty delta.
     */
    private void merge(Batch batch) {
        View v = view;
        SidTrieBase base = v.base;
        Delta d = v.delta;
        // The delta's items go first in one combined batch, so the batch's changes win over them.
        Batch all = d.items.isEmpty() ? batch : withDeltaFirst(d, batch);
        int[] winners = latestPerItem(all);
        long[] dropped = new long[(base.size + 63) / 64];
        for (int w = 0; w < dropped.length; w++) {
            dropped[w] = d.removed.get(w);
        }
        int droppedCount = d.removedCount;
        int puts = 0;
        int idBytes = 0;
        for (int i : winners) {
            int item = all.findIn(base, i);
            if (item >= 0 && (dropped[item >>> 6] & (1L << item)) == 0) {
                dropped[item >>> 6] |= 1L << item;
                droppedCount++;
            }
            if (!all.isRemoval(i)) {
                winners[puts++] = i;
                idBytes += all.idLength(i);
            }
        }
        int[] incoming = Arrays.copyOf(winners, puts);
        long[] incomingOrder = new long[puts];
        int[] incomingCollision = new int[puts];
        int[] codes = new int[levels + 1];
        for (int p = 0; p < puts; p++) {
            incomingOrder[p] = pack(all.sid(incoming[p], codes), levels, codeBits);
            incomingCollision[p] = codes[levels];
        }
        int[] byOrder = sortedPositions(incomingOrder, incomingCollision);
        long[] listedAt = new long[base.size];
        Arrays.fill(listedAt, Long.MIN_VALUE);
        for (int i = 0; i < base.listingItems.length; i++) {
            listedAt[base.listingItems[i]] = base.listingTimes[i];
        }
        d.relisted.forEach((item, at) -> listedAt[item] = at);
        SidTrieBase.Builder builder =
                new SidTrieBase.Builder(
                        levels, base.size - droppedCount + puts, idBytes + base.idBytes());
        int[] newIndexOfOld = new int[base.size];
        int[] newIndexOfIncoming = new int[puts];
        int incomingCount = puts;
        int[] next = {0};
        base.forEach(
                (item, itemCodes) -> {
                    if ((dropped[item >>> 6] & (1L << item)) != 0) {
                        return;
                    }
                    long order = pack(itemCodes, levels, codeBits);
                    int collision = base.collision(item);
                    while (next[0] < incomingCount) {
                        int p = byOrder[next[0]];
                        if (incomingOrder[p] > order
                                || incomingOrder[p] == order && incomingCollision[p] >= collision) {
                            break;
                        }
                        newIndexOfIncoming[p] =
                                all.copyTo(builder, incoming[p], all.sid(incoming[p], codes));
                        next[0]++;
                    }
                    newIndexOfOld[item] = base.copyTo(builder, item, itemCodes, listedAt[item]);
                });
        for (; next[0] < puts; next[0]++) {
            int p = byOrder[next[0]];
            newIndexOfIncoming[p] = all.copyTo(builder, incoming[p], all.sid(incoming[p], codes));
        }
        // Listing order: the base's, minus dropped and relisted items, merged with the rest by
        // time.
        int[] otherItems = new int[puts + d.relisted.size()];
        long[] otherTimes = new long[otherItems.length];
        int others = 0;
        for (Map.Entry<Integer, Long> e : d.relisted.entrySet()) {
            int item = e.getKey();
            if (e.getValue() != Long.MIN_VALUE && (dropped[item >>> 6] & (1L << item)) == 0) {
                otherItems[others] = newIndexOfOld[item];
                otherTimes[others++] = e.getValue();
            }
        }
        for (int p = 0; p < puts; p++) {
            long at = all.times[incoming[p]];
            if (at != Long.MIN_VALUE) {
                otherItems[others] = newIndexOfIncoming[p];
                otherTimes[others++] = at;
            }
        }
        otherTimes = Arrays.copyOf(otherTimes, others);
        int[] byTime = sortedPositions(otherTimes, new int[others]);
        int[] order = new int[base.listingItems.length + others];
        int n = 0;
        int o = 0;
        boolean anyRelisted = !d.relisted.isEmpty();
        for (int i = 0; i < base.listingItems.length; i++) {
            int item = base.listingItems[i];
            if ((dropped[item >>> 6] & (1L << item)) != 0
                    || anyRelisted && d.relisted.containsKey(item)) {
                continue;
            }
            while (o < others && otherTimes[byTime[o]] < base.listingTimes[i]) {
                order[n++] = otherItems[byTime[o++]];
            }
            order[n++] = newIndexOfOld[item];
        }
        while (o < others) {
            order[n++] = otherItems[byTime[o++]];
        }
        SidTrieBase merged = builder.build(order, n);
        removedBelow = new HashMap<>();
        view = new View(merged, new Delta(merged));
        merges.incrementAndGet();
    }

    private Batch withDeltaFirst(Delta d, Batch batch) {
        Batch combined = newBatch();
        d.items.forEach((id, e) -> combined.put(id, e.sid, e.listedAt));
        for (int i = 0; i < batch.size; i++) {
            combined.append(batch, i);
        }
        return combined;
    }

    /** The positions of {@code batch} whose item has no later change in it, in batch order. */
    private static int[] latestPerItem(Batch batch) {
        int capacity = Integer.highestOneBit(Math.max(4, batch.size)) << 2;
        int[] table = new int[capacity];
        long[] superseded = new long[(batch.size + 63) / 64];
        int kept = batch.size;
        for (int i = 0; i < batch.size; i++) {
            int slot = batch.hash(i) & (capacity - 1);
            while (table[slot] != 0 && !batch.sameId(table[slot] - 1, i)) {
                slot = (slot + 1) & (capacity - 1);
            }
            if (table[slot] != 0) {
                int earlier = table[slot] - 1;
                superseded[earlier >>> 6] |= 1L << earlier;
                kept--;
            }
            table[slot] = i + 1;
        }
        int[] latest = new int[kept];
        int n = 0;
        for (int i = 0; i < batch.size; i++) {
            if ((superseded[i >>> 6] & (1L << i)) == 0) {
                latest[n++] = i;
            }
        }
        return latest;
    }

    /**
     * Positions 0..n-1 sorted by ({@code first}, {@code second}, position). Batches run to millions
     * of entries, so when both keys and the position fit one long the sort is over primitives.
     */
    static int[] sortedPositions(long[] first, int[] second) {
        int n = first.length;
        int[] sorted = new int[n];
        if (n == 0) {
            return sorted;
        }
        long minFirst = Long.MAX_VALUE;
        long maxFirst = Long.MIN_VALUE;
        int minSecond = Integer.MAX_VALUE;
        int maxSecond = Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            minFirst = Math.min(minFirst, first[i]);
            maxFirst = Math.max(maxFirst, first[i]);
            minSecond = Math.min(minSecond, second[i]);
            maxSecond = Math.max(maxSecond, second[i]);
        }
        int positionBits = 64 - Long.numberOfLeadingZeros(n - 1);
        int secondBits = 64 - Long.numberOfLeadingZeros((long) maxSecond - minSecond);
        long firstRange = maxFirst - minFirst;
        int firstBits = firstRange < 0 ? 64 : 64 - Long.numberOfLeadingZeros(firstRange);
        if (positionBits + secondBits + firstBits <= 63) {
            long[] keys = new long[n];
            for (int i = 0; i < n; i++) {
                keys[i] =
                        (first[i] - minFirst) << (secondBits + positionBits)
                                | ((long) second[i] - minSecond) << positionBits
                                | i;
            }
            Arrays.sort(keys);
            long mask = (1L << positionBits) - 1;
            for (int i = 0; i < n; i++) {
                sorted[i] = (int) (keys[i] & mask);
            }
            return sorted;
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(
                order,
                (a, b) -> {
                    int byFirst = Long.compare(first[a], first[b]);
                    return byFirst != 0 ? byFirst : Integer.compare(second[a], second[b]);
                });
        for (int i = 0; i < n; i++) {
            sorted[i] = order[i];
        }
        return sorted;
    }

    /** The first {@code levels} codes packed first-level-first: sorts like the codes. */
    private static long pack(int[] codes, int levels, int codeBits) {
        long packed = 0;
        for (int l = 0; l < levels; l++) {
            packed = packed << codeBits | codes[l];
        }
        return packed;
    }

    /** The SID of a live item, or {@code null}. */
    public int[] sidOf(String itemId) {
        View v = view;
        Entry e = v.delta.items.get(itemId);
        if (e != null) {
            return e.sid.clone();
        }
        int item = liveBaseItem(v, itemId);
        if (item < 0) {
            return null;
        }
        int[] sid = new int[levels + 1];
        v.base.pathOf(item, new int[levels], sid);
        return sid;
    }

    /**
     * Marks in {@code allowed} (length K) the codes at level {@code prefix.length} that continue
     * {@code prefix} towards at least one live item; returns how many.
     */
    public int allowedNext(int[] prefix, int length, boolean[] allowed) {
        Arrays.fill(allowed, false);
        if (length >= levels) {
            return 0;
        }
        View v = view;
        SidTrieBase base = v.base;
        Delta d = v.delta;
        int n = 0;
        int node = base.node(prefix, length);
        if (node >= 0) {
            AtomicLongArray emptied = d.emptied[length];
            boolean someEmptied = d.removedCount > 0;
            int depth = length + 1;
            for (int j = base.firstChild(length, node), end = base.endChild(length, node);
                    j < end;
                    j++) {
                if (someEmptied && bit(emptied, j)) {
                    continue;
                }
                int c = base.code(depth, j);
                if (!allowed[c]) {
                    allowed[c] = true;
                    n++;
                }
            }
        }
        int[] pairs = d.children.isEmpty() ? null : d.children.get(prefixKey(prefix, length));
        if (pairs != null) {
            for (int i = 0; i < pairs.length; i += 2) {
                if (!allowed[pairs[i]]) {
                    allowed[pairs[i]] = true;
                    n++;
                }
            }
        }
        return n;
    }

    /** Items under a full L-level prefix, by ascending collision code. */
    public List<Item> itemsUnder(int[] prefix) {
        View v = view;
        SidTrieBase base = v.base;
        Delta d = v.delta;
        Item[] added = d.leaves.isEmpty() ? null : d.leaves.get(prefixKey(prefix, levels));
        int node = base.node(prefix, levels);
        if (node < 0) {
            return added == null ? List.of() : List.of(added);
        }
        List<Item> items = new ArrayList<>();
        int a = 0;
        boolean anyRemoved = d.removedCount > 0;
        for (int i = base.firstChild(levels, node), end = base.endChild(levels, node);
                i < end;
                i++) {
            if (anyRemoved && bit(d.removed, i)) {
                continue;
            }
            int collision = base.collision(i);
            while (added != null && a < added.length && added[a].collision() < collision) {
                items.add(added[a++]);
            }
            items.add(new Item(base.itemId(i), collision));
        }
        while (added != null && a < added.length) {
            items.add(added[a++]);
        }
        return items;
    }

    /**
     * Live items listed or changed at or after {@code sinceMillis}, newest first; none when there
     * are more than {@code atMost} of them (then they are not news, and the search's hot path
     * should not copy them all).
     */
    public List<FreshItem> listedSince(long sinceMillis, int atMost) {
        return listedBetween(sinceMillis, Long.MAX_VALUE, atMost);
    }

    /**
     * Like {@link #listedSince}, without items listed after {@code untilMillis}: a replay of the
     * past must not see items listed in its future.
     */
    public List<FreshItem> listedBetween(long sinceMillis, long untilMillis, int atMost) {
        View v = view;
        SidTrieBase base = v.base;
        Delta d = v.delta;
        var recent = d.listings.subMap(sinceMillis, true, untilMillis, true).descendingMap();
        int count = 0;
        for (Set<String> ids : recent.values()) {
            count += ids.size();
        }
        int from = lowerBound(base.listingTimes, sinceMillis);
        int to = upperBound(base.listingTimes, untilMillis);
        // Removed and relisted base items may still sit in the range; they are few.
        if (count + (to - from) - d.removedCount - d.relisted.size() > atMost) {
            return List.of();
        }
        List<FreshItem> fresh = new ArrayList<>();
        for (Map.Entry<Long, Set<String>> e : recent.entrySet()) {
            for (String itemId : e.getValue()) {
                int[] sid = sidOf(itemId);
                if (sid != null) {
                    fresh.add(new FreshItem(itemId, sid, e.getKey()));
                }
            }
        }
        boolean anyRelisted = !d.relisted.isEmpty();
        for (int i = to - 1; i >= from; i--) {
            int item = base.listingItems[i];
            if (bit(d.removed, item) || (anyRelisted && d.relisted.containsKey(item))) {
                continue;
            }
            int[] sid = new int[levels + 1];
            base.pathOf(item, new int[levels], sid);
            fresh.add(new FreshItem(base.itemId(item), sid, base.listingTimes[i]));
        }
        if (fresh.size() > atMost) {
            return List.of();
        }
        fresh.sort(Comparator.comparingLong(FreshItem::listedAtMillis).reversed());
        return fresh;
    }

    private static int lowerBound(long[] sorted, long value) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upperBound(long[] sorted, long value) {
        return value == Long.MAX_VALUE ? sorted.length : lowerBound(sorted, value + 1);
    }

    /** Bytes of the base's arrays (the packed part of the index). */
    public long baseBytes() {
        return view.base.arrayBytes();
    }

    /** A recently listed item and its full SID (L codes then the collision code). */
    public record FreshItem(String itemId, int[] sid, long listedAtMillis) {}

    /** An item under a prefix. */
    public record Item(String itemId, int collision) {}

    private record View(SidTrieBase base, Delta delta) {}

    private record Entry(int[] sid, long listedAt) {}

    /** What changed since the base was built; written by the one writer, read by any search. */
    private static final class Delta {
        final ConcurrentHashMap<String, Entry> items = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, int[]> children = new ConcurrentHashMap<>();
        final ConcurrentHashMap<Long, Item[]> leaves = new ConcurrentHashMap<>();
        final ConcurrentSkipListMap<Long, Set<String>> listings = new ConcurrentSkipListMap<>();

        /** Base items whose SID stayed but whose listing time changed. */
        final ConcurrentHashMap<Integer, Long> relisted = new ConcurrentHashMap<>();

        final AtomicLongArray removed;

        /** Per depth, base nodes with no live item left below them. */
        final AtomicLongArray[] emptied;

        volatile int removedCount;

        Delta(SidTrieBase base) {
            this.removed = new AtomicLongArray((base.size + 63) / 64);
            this.emptied = new AtomicLongArray[base.levels];
            for (int t = 1; t <= base.levels; t++) {
                emptied[t - 1] = new AtomicLongArray((base.nodes(t) + 63) / 64);
            }
        }

        boolean isRemoved(int item) {
            return bit(removed, item);
        }

        int changes() {
            return items.size() + removedCount + relisted.size();
        }
    }

    private static boolean bit(AtomicLongArray bits, int i) {
        return (bits.get(i >>> 6) & (1L << i)) != 0;
    }

    private static void setBit(AtomicLongArray bits, int i) {
        bits.set(i >>> 6, bits.get(i >>> 6) | (1L << i));
    }

    private static long nodeKey(int depth, int node) {
        return (long) depth << 40 | node;
    }

    private static long prefixKey(int[] codes, int length) {
        long key = (long) length << 60;
        for (int i = 0; i < length; i++) {
            key |= (long) codes[i] << (BITS * i);
        }
        return key;
    }
}
