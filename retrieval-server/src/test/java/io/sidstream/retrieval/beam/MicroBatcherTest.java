package io.sidstream.retrieval.beam;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.batch.DeadlineExceededException;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.OverloadedException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    private static MicroBatcher batcher(
            LogitsFn model, SidTrie trie, Duration maxWait, int capacity, Duration budget) {
        return new MicroBatcher(
                new BeamSearch(model, BeamSearchTest.LAYOUT, 50),
                trie,
                32,
                maxWait,
                capacity,
                budget,
                new RetrievalMetrics(new SimpleMeterRegistry()));
    }

    private static BeamRequest request(int width, int seed) {
        return BeamRequest.of(BeamSearchTest.history(seed, seed + 1), width, 5);
    }

    @Test
    void shouldServeInteractiveRequestsFirstAndNeverPadANarrowBeamToAWideOne() throws Exception {
        GatedLogits model = new GatedLogits();
        SidTrie trie = BeamSearchTest.randomTrie(5, 600);
        try (MicroBatcher batcher =
                batcher(model, trie, Duration.ofMillis(20), 1_000, Duration.ZERO)) {
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
        try (MicroBatcher batcher = batcher(model, trie, Duration.ofMillis(5), 2, Duration.ZERO)) {
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

    /** The fake decoder, slowed to a fixed time per batch: a known cost per beam unit. */
    static final class SlowLogits implements LogitsFn {
        final FakeLogits fake = new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K);
        final long millisPerBatch;

        SlowLogits(long millisPerBatch) {
            this.millisPerBatch = millisPerBatch;
        }

        @Override
        public int codebookSize() {
            return fake.codebookSize();
        }

        @Override
        public Encoded encode(long[][] historyTokens) {
            try {
                Thread.sleep(millisPerBatch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return fake.encode(historyTokens);
        }
    }

    @Test
    void shouldRefuseInteractiveRequestsWhoseWaitWouldExceedTheBudgetButNeverBulkOnes()
            throws Exception {
        SidTrie trie = BeamSearchTest.randomTrie(5, 600);
        try (MicroBatcher batcher =
                batcher(
                        new SlowLogits(1_000),
                        trie,
                        Duration.ofMillis(1),
                        1_000,
                        Duration.ofMillis(100))) {
            // One batch teaches the batcher what a beam unit costs: >= 1 s / 8.
            batcher.submit(request(8, 1), MicroBatcher.Lane.INTERACTIVE).get(10, TimeUnit.SECONDS);
            CompletableFuture<BeamResult> admitted =
                    batcher.submit(request(8, 2), MicroBatcher.Lane.INTERACTIVE);
            // Queued or searching, most of the admitted request's second is still ahead of this
            // one.
            CompletableFuture<BeamResult> refused =
                    batcher.submit(request(8, 3), MicroBatcher.Lane.INTERACTIVE);
            CompletableFuture<BeamResult> backlog = batcher.submit(request(8, 4));
            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::get).hasCauseInstanceOf(OverloadedException.class);
            assertThat(backlog).isNotCompletedExceptionally();
            admitted.get(10, TimeUnit.SECONDS);
            backlog.get(10, TimeUnit.SECONDS);
            // The queue is empty again: a wide request is admitted whatever its own cost.
            assertThat(
                            batcher.submit(request(64, 5), MicroBatcher.Lane.INTERACTIVE)
                                    .get(10, TimeUnit.SECONDS)
                                    .candidates())
                    .isNotEmpty();
        }
    }

    @Test
    void shouldDropARequestWhoseDeadlinePassedWhileItWaitedWithoutSearchingIt() throws Exception {
        GatedLogits model = new GatedLogits();
        SidTrie trie = BeamSearchTest.randomTrie(5, 600);
        try (MicroBatcher batcher =
                batcher(model, trie, Duration.ofMillis(5), 1_000, Duration.ZERO)) {
            CompletableFuture<BeamResult> first = batcher.submit(request(8, 1));
            assertThat(model.entered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<BeamResult> late =
                    batcher.submit(
                            request(8, 2),
                            MicroBatcher.Lane.INTERACTIVE,
                            Instant.now().minusMillis(1));
            CompletableFuture<BeamResult> onTime =
                    batcher.submit(
                            request(8, 3),
                            MicroBatcher.Lane.INTERACTIVE,
                            Instant.now().plusSeconds(60));
            model.gate.countDown();
            first.get(10, TimeUnit.SECONDS);
            onTime.get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(DeadlineExceededException.class);
        }
        // Two searches of one request each: the late request was never searched.
        assertThat(model.searches).hasSize(2);
        assertThat(model.searches).allSatisfy(s -> assertThat(s[0]).isEqualTo(1));
    }
}
