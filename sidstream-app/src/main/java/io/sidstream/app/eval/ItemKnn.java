package io.sidstream.app.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Item-to-item nearest neighbours by co-occurrence: two items co-occur when they are within {@code
 * distance} positions of each other in a training sequence. A case is scored by summing the
 * co-occurrence counts of each candidate with the last {@code lastItems} history items.
 */
public final class ItemKnn {
    private final Map<String, Map<String, Integer>> cooccurrence = new HashMap<>();
    private final int lastItems;

    public ItemKnn(Iterable<List<String>> trainingSequences, int distance, int lastItems) {
        this.lastItems = lastItems;
        for (List<String> seq : trainingSequences) {
            for (int i = 0; i < seq.size(); i++) {
                for (int j = Math.max(0, i - distance); j < i; j++) {
                    String a = seq.get(i);
                    String b = seq.get(j);
                    if (!a.equals(b)) {
                        cooccurrence
                                .computeIfAbsent(a, x -> new HashMap<>())
                                .merge(b, 1, Integer::sum);
                        cooccurrence
                                .computeIfAbsent(b, x -> new HashMap<>())
                                .merge(a, 1, Integer::sum);
                    }
                }
            }
        }
    }

    /** The neighbours of the history's last items, best first, then {@code fallback}. */
    public List<String> rank(List<String> history, List<String> fallback, Set<String> seen, int n) {
        Map<String, Integer> score = new HashMap<>();
        for (String h : history.subList(Math.max(0, history.size() - lastItems), history.size())) {
            cooccurrence
                    .getOrDefault(h, Map.of())
                    .forEach((item, c) -> score.merge(item, c, Integer::sum));
        }
        return RecentPopularity.top(RecentPopularity.byCount(score), fallback, seen, n);
    }
}
