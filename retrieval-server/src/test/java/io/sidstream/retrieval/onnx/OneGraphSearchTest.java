package io.sidstream.retrieval.onnx;

import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-graph search ({@code decoder_search.onnx}) returns what the level-by-level Java search
 * returns, on the default bundle's real decoder: with the live prior folded in, with seen items
 * excluded, and over an index far smaller than the beam, where most codes are dead.
 */
class OneGraphSearchTest {
    private static final double SCORE_TOLERANCE = 2e-3;

    private static ModelBundle bundle;
    private static DecoderSession session;
    private static TokenLayout layout;
    private static Map<String, int[]> sids;
    private static List<String> ids;

    @BeforeAll
    static void open() {
        bundle = ModelBundle.load(DefaultBundleDecoderTest.DEFAULT_BUNDLE);
        session = DecoderSession.open(bundle, ExecutionProvider.CPU, 1);
        layout = DecoderLogits.layoutOf(bundle.manifest());
        sids = new java.util.LinkedHashMap<>();
        bundle.trainerItemSids()
                .forEach(
                        (id, sid) ->
                                sids.put(id, sid.stream().mapToInt(Integer::intValue).toArray()));
        ids = new ArrayList<>(sids.keySet());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    @Test
    void shouldRankAsTheJavaSearchWithTheLivePriorAndSeenItemsExcluded() {
        SidTrie trie = trieOf(ids);
        PopularityPrior prior = priorOver(ids, 4_000, 7);
        BeamSearch java =
                new BeamSearch(new DecoderLogits(session), layout, maxHistory())
                        .withPrior(prior, 1.5);
        List<BeamRequest> requests = new ArrayList<>();
        Random random = new Random(11);
        for (int r = 0; r < 6; r++) {
            List<int[]> history = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 3 + r * 4; i++) {
                String id = ids.get(random.nextInt(ids.size()));
                history.add(sids.get(id));
                seen.add(id);
            }
            requests.add(new BeamRequest(history, 64, 40, seen, List.of(), List.of()));
        }
        try (OneGraphSearch graph =
                OneGraphSearch.open(bundle, ExecutionProvider.CPU, 1, prior, 1.5)) {
            List<BeamResult> expected = java.search(requests, trie);
            List<BeamResult> actual = graph.search(requests, trie);
            assertSameRanking(requests, expected, actual);
            assertThat(graph.traffic().calls()).isEqualTo(1);
        }
    }

    @Test
    void shouldAnswerAsTheServedSearchWithYoungItemsAndFreshSlotsOn() {
        long now = 1_700_000_000_000L;
        List<String> young = ids.subList(0, 20);
        SidTrie trie = new SidTrie(layout.levels(), bundle.manifest().sid().codebookSize());
        for (String id : ids) {
            long listed = young.contains(id) ? now - 3_600_000 : now - 30L * 86_400_000;
            trie.put(id, sids.get(id), listed);
        }
        PopularityPrior prior = emptyPrior();
        Random random = new Random(5);
        for (int e = 0; e < 3_000; e++) {
            String id = ids.get((int) (ids.size() * Math.pow(random.nextDouble(), 4)));
            prior.observe(id, sids.get(id), now - 3_000_000 + e * 1_000L);
        }
        for (int e = 0; e < 400; e++) {
            String id = young.get(e % young.size());
            prior.observe(id, sids.get(id), now - 400_000 + e * 1_000L);
        }
        BeamSearch served =
                new BeamSearch(new DecoderLogits(session), layout, maxHistory())
                        .withClock(
                                java.time.Clock.fixed(
                                        java.time.Instant.ofEpochMilli(now),
                                        java.time.ZoneOffset.UTC))
                        .withFreshItems(Duration.ofHours(2), 0.1)
                        .withPrior(prior, 1.5)
                        .withYoungItems(Duration.ofDays(7), 2, 50);
        List<BeamRequest> requests = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            List<int[]> history = new ArrayList<>();
            for (int i = 0; i < 4 + r * 3; i++) {
                history.add(sids.get(ids.get(100 + random.nextInt(ids.size() - 100))));
            }
            requests.add(BeamRequest.of(history, 64, 40));
        }
        try (OneGraphSearch graph =
                OneGraphSearch.openLike(bundle, ExecutionProvider.CPU, 1, served, Duration.ZERO)) {
            List<BeamResult> expected = served.search(requests, trie);
            List<BeamResult> actual = graph.search(requests, trie);
            // Meaningful only if the young and fresh rules changed the plain ranking.
            BeamSearch plain =
                    new BeamSearch(new DecoderLogits(session), layout, maxHistory())
                            .withPrior(prior, 1.5);
            assertThat(expected).isNotEqualTo(plain.search(requests, trie));
            assertThat(expected.get(0).candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .containsAnyElementsOf(young);
            assertSameRanking(requests, expected, actual);
            assertThat(graph.traffic().calls()).isEqualTo(1);
        }
    }

    @Test
    void shouldReturnOnlyLiveItemsWhenTheIndexHoldsFewerPrefixesThanTheBeam() {
        List<String> live = ids.subList(100, 130);
        SidTrie trie = trieOf(live);
        BeamSearch java = new BeamSearch(new DecoderLogits(session), layout, maxHistory());
        List<BeamRequest> requests =
                List.of(
                        BeamRequest.of(
                                List.of(sids.get(ids.get(1)), sids.get(ids.get(2))), 256, 100),
                        BeamRequest.of(List.of(sids.get(ids.get(3))), 256, 100));
        try (OneGraphSearch graph =
                OneGraphSearch.open(bundle, ExecutionProvider.CPU, 1, null, 0)) {
            List<BeamResult> actual = graph.search(requests, trie);
            for (BeamResult result : actual) {
                assertThat(result.candidates())
                        .extracting(BeamResult.Candidate::itemId)
                        .containsExactlyInAnyOrderElementsOf(live);
                assertThat(result.exhausted()).isTrue();
            }
            assertSameRanking(requests, java.search(requests, trie), actual);
        }
    }

    @Test
    void shouldMaskWithTheIndexItIsGivenEvenWhenAnotherHasTheSameVersion() {
        // Same number of puts, so the same version, but different items: a blue/green swap.
        SidTrie blue = trieOf(ids.subList(0, 40));
        SidTrie green = trieOf(ids.subList(500, 540));
        assertThat(green.version()).isEqualTo(blue.version());
        BeamSearch java = new BeamSearch(new DecoderLogits(session), layout, maxHistory());
        List<BeamRequest> requests = List.of(BeamRequest.of(List.of(sids.get(ids.get(7))), 64, 40));
        try (OneGraphSearch graph =
                OneGraphSearch.open(bundle, ExecutionProvider.CPU, 1, null, 0)) {
            graph.search(requests, blue);
            List<BeamResult> onGreen = graph.search(requests, green);
            assertThat(onGreen.get(0).candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .containsExactlyInAnyOrderElementsOf(ids.subList(500, 540));
            assertSameRanking(requests, java.search(requests, green), onGreen);
        }
    }

    @Test
    void shouldRefuseSteeredRequestsRatherThanIgnoreTheSteering() {
        SidTrie trie = trieOf(ids.subList(0, 50));
        BeamRequest steered =
                new BeamRequest(
                        List.of(sids.get(ids.get(0))),
                        16,
                        10,
                        Set.of(),
                        List.of(new int[] {sids.get(ids.get(0))[0]}),
                        List.of());
        try (OneGraphSearch graph =
                OneGraphSearch.open(bundle, ExecutionProvider.CPU, 1, null, 0)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> graph.search(List.of(steered), trie))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unsteered");
        }
    }

    @Test
    void shouldFollowThePriorFromOneBatchToTheNextWithoutARefreshInterval() {
        SidTrie trie = trieOf(ids);
        PopularityPrior prior = priorOver(ids, 2_000, 9);
        BeamSearch java = javaSearchWith(prior);
        List<BeamRequest> requests = oneRequestAfter(3, 9);
        try (OneGraphSearch graph =
                OneGraphSearch.open(bundle, ExecutionProvider.CPU, 1, prior, 1.5)) {
            String rising = notIn(graph.search(requests, trie).get(0));
            burst(prior, rising, 2_000);
            List<BeamResult> expected = java.search(requests, trie);
            assertThat(expected.get(0).candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .contains(rising);
            assertSameRanking(requests, expected, graph.search(requests, trie));
        }
    }

    @Test
    void shouldReachIndexAndPriorChangesWithinItsRefreshIntervalAndNeverReturnAGoneItem() {
        PopularityPrior prior = priorOver(ids, 2_000, 13);
        BeamSearch served = javaSearchWith(prior);
        List<BeamRequest> requests = oneRequestAfter(21, 34);
        List<BeamResult.Candidate> top = served.search(requests, trieOf(ids)).get(0).candidates();
        String gone = top.get(0).itemId();
        String late = top.get(1).itemId();
        SidTrie trie = trieOf(ids.stream().filter(id -> !id.equals(late)).toList());
        long[] nanos = {0};
        try (OneGraphSearch graph =
                OneGraphSearch.openLike(
                        bundle,
                        ExecutionProvider.CPU,
                        1,
                        served,
                        Duration.ofSeconds(1),
                        () -> nanos[0],
                        new InlineExecutor())) {
            String rising = notIn(graph.search(requests, trie).get(0));
            trie.remove(gone);
            trie.put(late, sids.get(late));
            burst(prior, rising, 2_000);

            nanos[0] = Duration.ofMillis(500).toNanos();
            assertThat(graph.search(requests, trie).get(0).candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .doesNotContain(gone);

            nanos[0] = Duration.ofMillis(1_001).toNanos();
            List<BeamResult> expected = served.search(requests, trie);
            assertThat(expected.get(0).candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .contains(late, rising)
                    .doesNotContain(gone);
            assertSameRanking(requests, expected, graph.search(requests, trie));
        }
    }

    private static BeamSearch javaSearchWith(PopularityPrior prior) {
        return new BeamSearch(new DecoderLogits(session), layout, maxHistory())
                .withPrior(prior, 1.5);
    }

    /** One request, beam 64, top 40, whose history is the catalog's items at two positions. */
    private static List<BeamRequest> oneRequestAfter(int first, int second) {
        return List.of(
                BeamRequest.of(
                        List.of(sids.get(ids.get(first)), sids.get(ids.get(second))), 64, 40));
    }

    /** An item of the catalog outside {@code result}. */
    private static String notIn(BeamResult result) {
        Set<String> in = new HashSet<>();
        result.candidates().forEach(c -> in.add(c.itemId()));
        return ids.stream().skip(500).filter(id -> !in.contains(id)).findFirst().orElseThrow();
    }

    /** {@code events} interactions with {@code itemId}, just after the prior's newest. */
    private static void burst(PopularityPrior prior, String itemId, int events) {
        long t = prior.latestMillis();
        for (int e = 0; e < events; e++) {
            prior.observe(itemId, sids.get(itemId), t + e);
        }
    }

    /** Runs a refresh on the thread that asks for it, so a test knows when it is done. */
    private static final class InlineExecutor extends java.util.concurrent.AbstractExecutorService {
        private volatile boolean shutdown;

        @Override
        public void execute(Runnable task) {
            if (shutdown) {
                throw new java.util.concurrent.RejectedExecutionException("shut down");
            }
            task.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
            return shutdown;
        }
    }

    private static void assertSameRanking(
            List<BeamRequest> requests, List<BeamResult> expected, List<BeamResult> actual) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int r = 0; r < expected.size(); r++) {
            List<BeamResult.Candidate> e = expected.get(r).candidates();
            List<BeamResult.Candidate> a = actual.get(r).candidates();
            assertThat(a)
                    .extracting(BeamResult.Candidate::itemId)
                    .as("request %d", r)
                    .containsExactlyElementsOf(
                            e.stream().map(BeamResult.Candidate::itemId).toList());
            for (int i = 0; i < e.size(); i++) {
                assertThat(a.get(i).score())
                        .as("request %d rank %d", r, i)
                        .isCloseTo(
                                e.get(i).score(),
                                org.assertj.core.data.Offset.offset(SCORE_TOLERANCE));
                assertThat(a.get(i).sid()).isEqualTo(e.get(i).sid());
            }
            Set<String> excluded = requests.get(r).excludeItems();
            a.forEach(c -> assertThat(excluded).doesNotContain(c.itemId()));
        }
    }

    private static SidTrie trieOf(List<String> items) {
        SidTrie trie = new SidTrie(layout.levels(), bundle.manifest().sid().codebookSize());
        items.forEach(id -> trie.put(id, sids.get(id)));
        return trie;
    }

    private static PopularityPrior priorOver(List<String> items, int events, long seed) {
        PopularityPrior prior = emptyPrior();
        Random random = new Random(seed);
        long t = 1_700_000_000_000L;
        for (int e = 0; e < events; e++) {
            // Skewed: a few items take most events, as in a real stream.
            String id = items.get((int) (items.size() * Math.pow(random.nextDouble(), 4)));
            prior.observe(id, sids.get(id), t += random.nextInt(60_000));
        }
        return prior;
    }

    private static PopularityPrior emptyPrior() {
        return new PopularityPrior(
                layout.levels(), bundle.manifest().sid().codebookSize(), Duration.ofHours(24), 0.1);
    }

    private static int maxHistory() {
        return bundle.manifest().decoder().maxHistoryItems();
    }
}
