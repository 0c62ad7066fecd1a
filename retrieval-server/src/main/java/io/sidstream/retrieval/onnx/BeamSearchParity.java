package io.sidstream.retrieval.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the whole serving search (live index of the trainer's catalog, constrained beam search, ONNX
 * decoder) on the reference cases a bundle ships with and compares item for item with the trainer's
 * own beam search: same items in the same order, scores within 1e-4. With {@code beamCache} the
 * search goes through contract v2's graphs when the bundle has them.
 */
public final class BeamSearchParity {
    private static final double SCORE_TOLERANCE = 1e-4;

    private BeamSearchParity() {}

    /**
     * The result of a beam-search parity check.
     *
     * @param items result positions compared
     * @param beamCacheCalls calls of the v2 graphs the searches made (0 through v1)
     * @param mismatches one sentence per differing position (the first few)
     */
    public record Report(int items, long beamCacheCalls, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty() && items > 0;
        }
    }

    public static Report check(ModelBundle bundle, ExecutionProvider provider, boolean beamCache) {
        try (DecoderSession session = DecoderSession.open(bundle, provider, 1, beamCache)) {
            BeamSearch search =
                    new BeamSearch(
                            new DecoderLogits(session),
                            layout(bundle),
                            bundle.manifest().decoder().maxHistoryItems());
            return compare(bundle, search::search, () -> session.traffic().beamCacheCalls());
        }
    }

    /**
     * The same check through the bundle's one-graph search ({@code decoder_search.onnx}); the
     * report's {@code beamCacheCalls} counts its calls, one per batch.
     */
    public static Report checkSearchGraph(ModelBundle bundle, ExecutionProvider provider) {
        try (OneGraphSearch graph = OneGraphSearch.open(bundle, provider, 1, null, 0)) {
            return compare(bundle, graph::search, () -> graph.traffic().calls());
        }
    }

    private static TokenLayout layout(ModelBundle bundle) {
        return DecoderLogits.layoutOf(bundle.manifest());
    }

    private static Report compare(
            ModelBundle bundle,
            java.util.function.BiFunction<List<BeamRequest>, SidTrie, List<BeamResult>> searcher,
            java.util.function.LongSupplier calls) {
        JsonNode reference = DecoderParity.parityVectors(bundle, "beam_search");
        TokenLayout layout = layout(bundle);
        SidTrie trie = new SidTrie(layout.levels(), bundle.manifest().sid().codebookSize());
        bundle.trainerItemSids()
                .forEach(
                        (id, sid) ->
                                trie.put(id, sid.stream().mapToInt(Integer::intValue).toArray()));
        List<List<int[]>> histories = new ArrayList<>();
        for (JsonNode row : reference.path("history_tokens")) {
            histories.add(sidsOf(row, layout));
        }
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (JsonNode c : reference.path("cases")) {
            int width = c.path("beam_width").asInt();
            List<BeamRequest> requests = new ArrayList<>();
            for (List<int[]> history : histories) {
                requests.add(BeamRequest.of(history, width, c.path("top_k").asInt()));
            }
            List<BeamResult> results = searcher.apply(requests, trie);
            for (int r = 0; r < results.size(); r++) {
                JsonNode expected = c.path("results").get(r);
                List<BeamResult.Candidate> actual = results.get(r).candidates();
                if (actual.size() != expected.size()) {
                    mismatches.add(
                            String.format(
                                    Locale.ROOT,
                                    "beam %d request %d: %d items, the trainer %d",
                                    width,
                                    r,
                                    actual.size(),
                                    expected.size()));
                }
                for (int i = 0; i < Math.min(actual.size(), expected.size()); i++) {
                    JsonNode e = expected.get(i);
                    BeamResult.Candidate a = actual.get(i);
                    compared++;
                    if (!a.itemId().equals(e.path("item_id").asText())
                            || Math.abs(a.score() - e.path("score").asDouble()) > SCORE_TOLERANCE) {
                        mismatches.add(
                                String.format(
                                        Locale.ROOT,
                                        "beam %d request %d rank %d: %s %.5f, the trainer %s"
                                                + " %.5f",
                                        width,
                                        r,
                                        i,
                                        a.itemId(),
                                        a.score(),
                                        e.path("item_id").asText(),
                                        e.path("score").asDouble()));
                    }
                }
            }
        }
        return new Report(
                compared,
                calls.getAsLong(),
                List.copyOf(mismatches.subList(0, Math.min(mismatches.size(), 10))));
    }

    private static List<int[]> sidsOf(JsonNode tokens, TokenLayout layout) {
        List<Long> real = new ArrayList<>();
        tokens.forEach(
                t -> {
                    if (t.asLong() != layout.pad()) {
                        real.add(t.asLong());
                    }
                });
        int perItem = layout.levels() + 1;
        List<int[]> sids = new ArrayList<>();
        for (int i = 0; i + perItem <= real.size(); i += perItem) {
            int[] sid = new int[perItem];
            for (int l = 0; l < layout.levels(); l++) {
                sid[l] = (int) (real.get(i + l) - layout.levelOffsets().get(l));
            }
            sid[layout.levels()] = (int) (real.get(i + layout.levels()) - layout.collisionOffset());
            sids.add(sid);
        }
        return sids;
    }
}
