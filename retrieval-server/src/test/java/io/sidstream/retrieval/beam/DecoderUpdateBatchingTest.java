package io.sidstream.retrieval.beam;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.ServingSlot;
import io.sidstream.retrieval.batch.ShadowScorer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The batcher answering with a swapped decoder, and scoring a candidate in shadow. */
class DecoderUpdateBatchingTest {
    private final SidTrie trie = BeamSearchTest.randomTrie(5, 2_000);
    private final RetrievalMetrics metrics = new RetrievalMetrics(new SimpleMeterRegistry());

    /** Another decoder: the fake's log-probabilities, ranked the other way round. */
    private static LogitsFn reversed(LogitsFn model) {
        return new LogitsFn() {
            @Override
            public int codebookSize() {
                return model.codebookSize();
            }

            @Override
            public Encoded encode(long[][] historyTokens) {
                Encoded inner = model.encode(historyTokens);
                return new Encoded() {
                    @Override
                    public float[] step(long[] beamTokens, int beams, int steps) {
                        float[] p = inner.step(beamTokens, beams, steps);
                        int k = model.codebookSize();
                        for (int row = 0; row < p.length / k; row++) {
                            for (int c = 0; c < k / 2; c++) {
                                float t = p[row * k + c];
                                p[row * k + c] = p[row * k + k - 1 - c];
                                p[row * k + k - 1 - c] = t;
                            }
                        }
                        return p;
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }
        };
    }

    private static BeamSearch search(LogitsFn model) {
        return new BeamSearch(model, BeamSearchTest.LAYOUT, 50);
    }

    private MicroBatcher batcher(ServingSlot slot) {
        return new MicroBatcher(slot, trie, 8, Duration.ofMillis(1), 1_024, Duration.ZERO, metrics);
    }

    private static BeamRequest request(int seed) {
        return BeamRequest.of(BeamSearchTest.history(seed, seed + 3), 16, 10);
    }

    private static List<BeamResult> answers(MicroBatcher batcher, int n) throws Exception {
        List<CompletableFuture<BeamResult>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(batcher.submit(request(i)));
        }
        List<BeamResult> out = new ArrayList<>();
        for (CompletableFuture<BeamResult> f : futures) {
            out.add(f.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void shouldAnswerWithASwappedDecoderFromTheNextBatchAndNameIt() throws Exception {
        FakeLogits fake = new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K);
        AtomicBoolean oldClosed = new AtomicBoolean();
        ServingSlot slot =
                new ServingSlot(
                        new ServingSlot.Model("v1", search(fake), () -> oldClosed.set(true)));
        try (MicroBatcher batcher = batcher(slot)) {
            List<BeamResult> before = answers(batcher, 6);
            assertThat(before).allSatisfy(r -> assertThat(r.modelVersion()).isEqualTo("v1"));

            BeamSearch update = search(fake).withModel(reversed(fake), BeamSearchTest.LAYOUT, 50);
            slot.swap(new ServingSlot.Model("v2", update, () -> {}));
            List<BeamResult> after = answers(batcher, 6);
            assertThat(oldClosed).isTrue();
            for (int i = 0; i < after.size(); i++) {
                assertThat(after.get(i).modelVersion()).isEqualTo("v2");
                assertThat(after.get(i).candidates())
                        .isEqualTo(update.search(List.of(request(i)), trie).get(0).candidates());
                assertThat(after.get(i).candidates()).isNotEqualTo(before.get(i).candidates());
            }
        }
    }

    @Test
    void shouldScoreEverySampledRequestInShadowWithoutChangingTheLiveAnswers() throws Exception {
        FakeLogits fake = new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K);
        ServingSlot slot = ServingSlot.of("live", search(fake));
        try (MicroBatcher batcher = batcher(slot)) {
            List<BeamResult> alone = answers(batcher, 12);

            ShadowScorer same =
                    new ShadowScorer(
                            new ServingSlot.Model("same", search(fake), () -> {}),
                            trie,
                            100,
                            8,
                            metrics);
            batcher.shadow(same);
            assertThat(answers(batcher, 12)).isEqualTo(withVersion(alone, "live"));
            awaitScored(same, 12);
            assertThat(same.stats().meanOverlap()).isEqualTo(1.0);

            ShadowScorer other =
                    new ShadowScorer(
                            new ServingSlot.Model("other", search(reversed(fake)), () -> {}),
                            trie,
                            100,
                            8,
                            metrics);
            batcher.shadow(other).close();
            assertThat(answers(batcher, 12)).isEqualTo(withVersion(alone, "live"));
            awaitScored(other, 12);
            ShadowScorer.Stats stats = other.stats();
            assertThat(stats.meanOverlap()).isLessThan(0.5);
            assertThat(stats.candidateInvalid()).isZero();
            assertThat(stats.liveInvalid()).isZero();
            assertThat(stats.failed()).isZero();
            assertThat(batcher.shadow(null)).isSameAs(other);
            other.close();
        }
    }

    @Test
    void shouldSearchABatchWithTheGraphOnlyWhenTheGraphServesEveryRequestOfIt() throws Exception {
        List<List<BeamRequest>> byGraph = new java.util.concurrent.CopyOnWriteArrayList<>();
        BeamSearch levels = search(new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K));
        // Stands in for the one graph: the same answers, and a record of what it searched.
        BatchSearch graph =
                new BatchSearch() {
                    @Override
                    public List<BeamResult> search(List<BeamRequest> requests, SidTrie index) {
                        byGraph.add(requests);
                        return levels.search(requests, index);
                    }

                    @Override
                    public boolean serves(BeamRequest request) {
                        return request.excludePrefixes().isEmpty();
                    }
                };
        ServingSlot.Model model = new ServingSlot.Model("v", levels, graph, null, () -> {});
        BeamRequest plain = request(1);
        BeamRequest steered =
                new BeamRequest(
                        plain.history(),
                        plain.beamWidth(),
                        plain.topK(),
                        java.util.Set.of(),
                        List.of(),
                        List.of(new int[] {2}));

        assertThat(model.engineFor(List.of(plain, plain))).isEqualTo("graph");
        assertThat(model.engineFor(List.of(plain, steered))).isEqualTo("levels");
        assertThat(model.search(List.of(plain, steered), trie))
                .isEqualTo(levels.search(List.of(plain, steered), trie));
        assertThat(byGraph).isEmpty();
        try (MicroBatcher batcher = batcher(new ServingSlot(model))) {
            List<BeamResult> answered = answers(batcher, 6);
            assertThat(byGraph).isNotEmpty();
            assertThat(byGraph.stream().mapToInt(List::size).sum()).isEqualTo(6);
            for (int i = 0; i < answered.size(); i++) {
                assertThat(answered.get(i).candidates())
                        .isEqualTo(levels.search(List.of(request(i)), trie).get(0).candidates());
            }
        }
        assertThat(new ServingSlot.Model("v", levels, () -> {}).engineFor(List.of(plain)))
                .isEqualTo("levels");
    }

    private static List<BeamResult> withVersion(List<BeamResult> results, String version) {
        return results.stream().map(r -> r.scoredBy(version)).toList();
    }

    private static void awaitScored(ShadowScorer scorer, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (scorer.stats().scored() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(scorer.stats().scored()).isEqualTo(n);
    }
}
