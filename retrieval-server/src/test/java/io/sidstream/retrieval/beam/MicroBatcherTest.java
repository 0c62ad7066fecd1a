package io.sidstream.retrieval.beam;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.OverloadedException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Lanes, beam-width grouping and refusal of the micro-batcher, with a model held on a gate. */
class MicroBatcherTest {
    /** The fake decoder, which waits at a gate before its first encode and records batches. */
    static final class GatedLogits implements LogitsFn {
        final FakeLogits fake = new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K);
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        /** Per search: {requests, widest step}. */
        final List<int[]> searches = new CopyOnWriteArrayList<>();

        @Override
        public int codebookSize() {
            return fake.codebookSize();
        }

        @Override
        public Encoded encode(long[][] historyTokens) {
            entered.countDown();
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int[] record = {historyTokens.length, 0};
            searches.add(record);
            Encoded inner = fake.encode(historyTokens);
            return new Encoded() {
                @Override
                public float[] step(long[] beamTokens, int beams, int steps) {
                    record[1] = Math.max(record[1], beams);
                    return inner.step(beamTokens, beams, steps);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }
    }

    private static BeamRequest request(int width, int seed) {
        return BeamRequest.of(BeamSearchTest.history(seed, seed + 1), width, 5);
    }

    @Test
    void shouldServeInteractiveRequestsFirstAndNeverPadANarrowBeamToAWideOne() throws Exception {
        GatedLogits model = new GatedLogits();
        SidTrie trie = BeamSearchTest.randomTrie(5, 600);
        try (MicroBatcher batcher =
                new MicroBatcher(
                        new BeamSearch(model, BeamSearchTest.LAYOUT, 50),
                        trie,
                        32,
                        Duration.ofMillis(20),
                        1_000,
                        new RetrievalMetrics(new SimpleMeterRegistry()))) {
            CompletableFuture<BeamResult> first = batcher.submit(request(8, 1));
            assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<CompletableFuture<BeamResult>> wide =
                    List.of(
                            batcher.submit(request(64, 2)),
                            batcher.submit(request(64, 3)),
                            batcher.submit(request(64, 4)));
            List<CompletableFuture<BeamResult>> narrow =
                    List.of(batcher.submit(request(8, 5)), batcher.submit(request(8, 6)));
            CompletableFuture<BeamResult> person =
                    batcher.submit(request(64, 7), MicroBatcher.Lane.INTERACTIVE);
            model.gate.countDown();
            first.get(10, TimeUnit.SECONDS);
            person.get(10, TimeUnit.SECONDS);
            for (var f : wide) {
                f.get(10, TimeUnit.SECONDS);
            }
            for (var f : narrow) {
                f.get(10, TimeUnit.SECONDS);
            }
        }
        assertThat(model.searches).hasSize(3);
        // The person's beam-64 request opens the next batch and takes the bulk beam-64 ones along;
        // the beam-8 ones follow in their own batch.
        assertThat(model.searches.get(1)[0]).isEqualTo(4);
        assertThat(model.searches.get(1)[1]).isGreaterThan(8);
        assertThat(model.searches.get(2)[0]).isEqualTo(2);
        assertThat(model.searches.get(2)[1]).isLessThanOrEqualTo(8);
    }

    @Test
    void shouldRefuseAtOnceWhenALaneIsFull() throws Exception {
        GatedLogits model = new GatedLogits();
        SidTrie trie = BeamSearchTest.randomTrie(5, 600);
        try (MicroBatcher batcher =
                new MicroBatcher(
                        new BeamSearch(model, BeamSearchTest.LAYOUT, 50),
                        trie,
                        32,
                        Duration.ofMillis(5),
                        2,
                        new RetrievalMetrics(new SimpleMeterRegistry()))) {
            batcher.submit(request(8, 1));
            assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
            batcher.submit(request(8, 2));
            batcher.submit(request(8, 3));
            CompletableFuture<BeamResult> refused = batcher.submit(request(8, 4));
            assertThat(refused).isCompletedExceptionally();
            try {
                refused.get();
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(OverloadedException.class);
            }
            CompletableFuture<BeamResult> person =
                    batcher.submit(request(8, 5), MicroBatcher.Lane.INTERACTIVE);
            assertThat(person).isNotCompletedExceptionally();
            assertThat(batcher.queued()).isEqualTo(3);
            model.gate.countDown();
            person.get(10, TimeUnit.SECONDS);
        }
    }
}
