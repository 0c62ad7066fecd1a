package io.sidstream.retrieval.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Java beam search over the ONNX decoder reproduces the trainer's reference beam search, with
 * contract v2's beam-token cache and with v1's full decode steps.
 */
class ReferenceBeamSearchParityTest {

    @ParameterizedTest(name = "beam cache {0}")
    @ValueSource(booleans = {true, false})
    void shouldReturnTheTrainersItemsInOrderWithItsScores(boolean beamCache) throws IOException {
        ModelBundle bundle = ModelBundle.load(DefaultBundleDecoderTest.DEFAULT_BUNDLE);
        TokenLayout layout = DecoderLogits.layoutOf(bundle.manifest());
        SidTrie trie = new SidTrie(layout.levels(), bundle.manifest().sid().codebookSize());
        bundle.trainerItemSids()
                .forEach(
                        (id, sid) ->
                                trie.put(id, sid.stream().mapToInt(Integer::intValue).toArray()));
        JsonNode reference =
                new ObjectMapper()
                        .readTree(bundle.file(bundle.manifest().parityFile()).toFile())
                        .path("beam_search");
        List<List<int[]>> histories = new ArrayList<>();
        for (JsonNode row : reference.path("history_tokens")) {
            histories.add(sidsOf(row, layout));
        }
        try (DecoderSession session =
                DecoderSession.open(bundle, ExecutionProvider.CPU, 1, beamCache)) {
            assertThat(session.beamCache()).as("the default bundle ships v2").isEqualTo(beamCache);
            BeamSearch search =
                    new BeamSearch(
                            new DecoderLogits(session),
                            layout,
                            bundle.manifest().decoder().maxHistoryItems());
            int compared = 0;
            for (JsonNode c : reference.path("cases")) {
                int width = c.path("beam_width").asInt();
                int topK = c.path("top_k").asInt();
                List<BeamRequest> requests = new ArrayList<>();
                for (List<int[]> history : histories) {
                    requests.add(BeamRequest.of(history, width, topK));
                }
                List<BeamResult> results = search.search(requests, trie);
                for (int r = 0; r < results.size(); r++) {
                    JsonNode expected = c.path("results").get(r);
                    List<BeamResult.Candidate> actual = results.get(r).candidates();
                    assertThat(actual).as("width %d request %d", width, r).hasSize(expected.size());
                    for (int i = 0; i < actual.size(); i++) {
                        JsonNode e = expected.get(i);
                        assertThat(actual.get(i).itemId())
                                .as("width %d request %d rank %d", width, r, i)
                                .isEqualTo(e.path("item_id").asText());
                        assertThat(actual.get(i).score())
                                .isCloseTo(e.path("score").asDouble(), within(1e-4));
                        compared++;
                    }
                }
            }
            assertThat(compared).isGreaterThan(100);
            // Each search: encode, then one call per level; with the cache, L-1 of them extend it.
            long cached = session.traffic().beamCacheCalls();
            if (beamCache) {
                assertThat(cached).isEqualTo(session.traffic().calls() * 3 / 4);
            } else {
                assertThat(cached).isZero();
            }
        }
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
