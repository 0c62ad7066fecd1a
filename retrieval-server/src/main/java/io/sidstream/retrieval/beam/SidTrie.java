package io.sidstream.retrieval.beam;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live index of SIDs that exist right now: which codes continue which prefix (the beam-search
 * mask) and which items sit under each full L-level prefix (by collision code).
 *
 * <p>Updated by one writer (the {@code items.sid.v1} consumer) while any number of searches read
 * it: readers never block and never see a code counted that has no item below it at the time of the
 * update; a search that races a delisting may reach a prefix that just emptied, which then expands
 * to no item, so an invalid SID can never be returned. Every update bumps {@link #version()}.
 */
public final class SidTrie {
    private static final int BITS = 14;

    private final int levels;
    private final int codebookSize;
    private final ConcurrentHashMap<Long, AtomicIntegerArray> children = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, ConcurrentSkipListMap<Integer, String>> leaves =
            new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, int[]> sidByItem = new ConcurrentHashMap<>();

    /** When each live item was listed or last changed (epoch ms), for fresh-item slots. */
    private final ConcurrentHashMap<String, Long> listedAt = new ConcurrentHashMap<>();

    private final ConcurrentSkipListMap<Long, Set<String>> byListedAt =
            new ConcurrentSkipListMap<>();

    private final AtomicLong version = new AtomicLong();

    public SidTrie(int levels, int codebookSize) {
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
        return sidByItem.size();
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
        int[] old = sidByItem.get(itemId);
        if (old != null) {
            if (Arrays.equals(old, sid)) {
                relist(itemId, listedAtMillis);
                return;
            }
            unlink(itemId, old);
        }
        int[] copy = sid.clone();
        // Leaf first, counts after: a reader that sees a count > 0 finds the item below it.
        leaves.computeIfAbsent(key(copy, levels), k -> new ConcurrentSkipListMap<>())
                .put(copy[levels], itemId);
        for (int l = levels - 1; l >= 0; l--) {
            children.computeIfAbsent(key(copy, l), k -> new AtomicIntegerArray(codebookSize))
                    .incrementAndGet(copy[l]);
        }
        sidByItem.put(itemId, copy);
        relist(itemId, listedAtMillis);
        version.incrementAndGet();
    }

    /** Removes an item; no-op when absent. */
    public synchronized void remove(String itemId) {
        int[] old = sidByItem.remove(itemId);
        if (old != null) {
            Long before = listedAt.remove(itemId);
            if (before != null) {
                unlist(itemId, before);
            }
            unlink(itemId, old);
            version.incrementAndGet();
        }
    }

    private void relist(String itemId, long listedAtMillis) {
        Long before = listedAt.put(itemId, listedAtMillis);
        if (before != null) {
            unlist(itemId, before);
        }
        byListedAt.computeIfAbsent(listedAtMillis, t -> ConcurrentHashMap.newKeySet()).add(itemId);
    }

    private void unlist(String itemId, long at) {
        Set<String> ids = byListedAt.get(at);
        if (ids != null) {
            ids.remove(itemId);
            if (ids.isEmpty()) {
                byListedAt.remove(at);
            }
        }
    }

    private void unlink(String itemId, int[] sid) {
        // Counts first, leaf after: readers stop reaching the leaf before it empties.
        for (int l = 0; l < levels; l++) {
            AtomicIntegerArray counts = children.get(key(sid, l));
            if (counts != null) {
                counts.decrementAndGet(sid[l]);
            }
        }
        Map<Integer, String> leaf = leaves.get(key(sid, levels));
        if (leaf != null) {
            leaf.remove(sid[levels], itemId);
        }
    }

    /** The SID of a live item, or {@code null}. */
    public int[] sidOf(String itemId) {
        int[] sid = sidByItem.get(itemId);
        return sid == null ? null : sid.clone();
    }

    /**
     * Marks in {@code allowed} (length K) the codes at level {@code prefix.length} that continue
     * {@code prefix} towards at least one live item; returns how many.
     */
    public int allowedNext(int[] prefix, int length, boolean[] allowed) {
        Arrays.fill(allowed, false);
        AtomicIntegerArray counts = children.get(key(prefix, length));
        if (counts == null) {
            return 0;
        }
        int n = 0;
        for (int c = 0; c < codebookSize; c++) {
            if (counts.get(c) > 0) {
                allowed[c] = true;
                n++;
            }
        }
        return n;
    }

    /** Items under a full L-level prefix, by ascending collision code. */
    public List<Item> itemsUnder(int[] prefix) {
        ConcurrentSkipListMap<Integer, String> leaf = leaves.get(key(prefix, levels));
        if (leaf == null) {
            return List.of();
        }
        List<Item> items = new ArrayList<>();
        leaf.forEach((collision, id) -> items.add(new Item(id, collision)));
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
        var recent = byListedAt.subMap(sinceMillis, true, untilMillis, true).descendingMap();
        int count = 0;
        for (Set<String> ids : recent.values()) {
            count += ids.size();
            if (count > atMost) {
                return List.of();
            }
        }
        List<FreshItem> fresh = new ArrayList<>(count);
        for (Map.Entry<Long, Set<String>> e : recent.entrySet()) {
            for (String itemId : e.getValue()) {
                int[] sid = sidByItem.get(itemId);
                if (sid != null) {
                    fresh.add(new FreshItem(itemId, sid.clone(), e.getKey()));
                }
            }
        }
        return fresh;
    }

    /** A recently listed item and its full SID (L codes then the collision code). */
    public record FreshItem(String itemId, int[] sid, long listedAtMillis) {}

    /** An item under a prefix. */
    public record Item(String itemId, int collision) {}

    private static long key(int[] codes, int length) {
        long key = (long) length << 60;
        for (int i = 0; i < length; i++) {
            key |= (long) codes[i] << (BITS * i);
        }
        return key;
    }
}
