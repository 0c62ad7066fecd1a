package io.sidstream.app;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Interaction;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the demo replays, shaped from the dataset (pure; no I/O): the catalog listed first, the
 * interactions in time order, and the cold-start items, listed only just before their first
 * interaction in the last part of the replay.
 *
 * @param initial items listed before the replay starts
 * @param interactions the replayed interactions, in time order
 * @param listAt interaction index -> cold-start item listed just before it
 * @param catalogListedAt event time stamped on the initial listing: before the recorded
 *     interactions began, so only the late items look newly listed to retrieval-server
 */
record DemoScenario(
        List<CatalogItem> initial,
        List<Interaction> interactions,
        Map<Integer, String> listAt,
        Map<String, CatalogItem> byId,
        Instant catalogListedAt) {

    DemoScenario {
        initial = List.copyOf(initial);
        interactions = List.copyOf(interactions);
        listAt = Map.copyOf(listAt);
        byId = Map.copyOf(byId);
    }

    /**
     * @param items how many catalog items to use, in file order
     * @param limit how many interactions (on those items) to replay
     * @param coldStartFraction the last share of the replay in which first-seen items are late
     */
    static DemoScenario of(
            List<CatalogItem> catalog,
            List<Interaction> allInteractions,
            int items,
            int limit,
            double coldStartFraction) {
        List<CatalogItem> used = catalog.subList(0, Math.min(items, catalog.size()));
        Map<String, CatalogItem> byId = new LinkedHashMap<>();
        used.forEach(i -> byId.put(i.itemId(), i));
        List<Interaction> interactions =
                allInteractions.stream()
                        .filter(e -> byId.containsKey(e.itemId()))
                        .limit(limit)
                        .toList();
        int coldFrom = (int) Math.ceil(interactions.size() * (1 - coldStartFraction));
        Set<String> seenBefore = new HashSet<>();
        Map<Integer, String> listAt = new HashMap<>();
        for (int i = 0; i < interactions.size(); i++) {
            String item = interactions.get(i).itemId();
            if (seenBefore.add(item) && i >= coldFrom) {
                listAt.put(i, item);
            }
        }
        Set<String> late = new HashSet<>(listAt.values());
        Instant catalogListedAt =
                Instant.ofEpochMilli(
                        interactions.isEmpty()
                                ? 0
                                : interactions.get(0).timestampMillis() - 86_400_000L);
        List<CatalogItem> initial = used.stream().filter(i -> !late.contains(i.itemId())).toList();
        return new DemoScenario(initial, interactions, listAt, byId, catalogListedAt);
    }

    /** Items listed in all: the initial catalog and the cold-start items. */
    int itemsListed() {
        return initial.size() + listAt.size();
    }
}
