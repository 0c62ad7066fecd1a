package io.sidstream.app.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Popularity over a sliding window of event time ("what was popular in the last 7 days"), advanced
 * in time order over a time-sorted event log, so a ranking at time T counts exactly the events in
 * {@code [T - window, T)}. Ties and a thin window are filled from a fallback ranking.
 */
public final class RecentPopularity {
    private final List<String> items;
    private final long[] times;
    private final long windowMillis;
    private final Map<String, Integer> counts = new HashMap<>();
    private int head;
    private int tail;

    /**
     * @param items event items in time order
     * @param times their event times, non-decreasing
     */
    public RecentPopularity(List<String> items, long[] times, long windowMillis) {
        this.items = items;
        this.times = times;
        this.windowMillis = windowMillis;
    }

    /** Moves the window to end at {@code nowMillis} (exclusive); time must not go back. */
    public void advanceTo(long nowMillis) {
        while (head < times.length && times[head] < nowMillis) {
            counts.merge(items.get(head), 1, Integer::sum);
            head++;
        }
        while (tail < head && times[tail] < nowMillis - windowMillis) {
            String item = items.get(tail);
            counts.merge(item, -1, (a, b) -> a + b == 0 ? null : a + b);
            tail++;
        }
    }

    /** The items of the window, most events first. */
    public List<String> ranking() {
        return byCount(counts);
    }

    /** The keys, highest count first, ties by key: a deterministic ranking. */
    static List<String> byCount(Map<String, Integer> counts) {
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(
                (a, b) ->
                        a.getValue().equals(b.getValue())
                                ? a.getKey().compareTo(b.getKey())
                                : Integer.compare(b.getValue(), a.getValue()));
        List<String> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.getKey()));
        return out;
    }

    /** The first {@code n} of {@code ranking} then {@code fallback}, skipping {@code seen}. */
    public static List<String> top(
            Collection<String> ranking, List<String> fallback, Set<String> seen, int n) {
        List<String> out = new ArrayList<>(n);
        java.util.Set<String> taken = new java.util.HashSet<>();
        for (Collection<String> source : List.of(ranking, fallback)) {
            for (String item : source) {
                if (out.size() == n) {
                    return out;
                }
                if (!seen.contains(item) && taken.add(item)) {
                    out.add(item);
                }
            }
        }
        return out;
    }
}
