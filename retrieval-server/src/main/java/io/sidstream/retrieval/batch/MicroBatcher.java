package io.sidstream.retrieval.batch;

import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Dynamic micro-batching: requests from any thread (Kafka loop, HTTP handlers) queue up; one worker
 * takes up to {@code maxBatch} of them, waiting at most {@code maxWait} after the first, and runs
 * one batched beam search. A failure of one batch fails only that batch's futures.
 */
public final class MicroBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    private record Pending(
            BeamRequest request, CompletableFuture<BeamResult> result, long queuedAt) {}

    private final BeamSearch search;
    private final SidTrie trie;
    private final int maxBatch;
    private final Duration maxWait;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread worker;

    private final RetrievalMetrics metrics;

    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            RetrievalMetrics metrics) {
        this.search = search;
        this.metrics = metrics;
        this.trie = trie;
        this.maxBatch = maxBatch;
        this.maxWait = maxWait;
        this.worker = new Thread(this::run, "beam-search-batcher");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues a request; the future completes with its result or the batch's failure. */
    public CompletableFuture<BeamResult> submit(BeamRequest request) {
        CompletableFuture<BeamResult> result = new CompletableFuture<>();
        if (!running.get()) {
            result.completeExceptionally(new IllegalStateException("retrieval is shutting down"));
            return result;
        }
        metrics.submitted(request.beamWidth());
        queue.add(new Pending(request, result, System.nanoTime()));
        return result;
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (running.get() || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + maxWait.toNanos();
                while (batch.size() < maxBatch) {
                    Pending next =
                            queue.poll(
                                    Math.max(0, deadline - System.nanoTime()),
                                    TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                long t0 = System.nanoTime();
                List<BeamResult> results =
                        search.search(batch.stream().map(Pending::request).toList(), trie);
                long done = System.nanoTime();
                metrics.searched(batch.size(), done - t0);
                for (int i = 0; i < batch.size(); i++) {
                    metrics.answered(done - batch.get(i).queuedAt());
                    batch.get(i).result().complete(results.get(i));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("beam search failed for a batch of {}: {}", batch.size(), e.toString());
                batch.forEach(p -> p.result().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    @Override
    public void close() {
        running.set(false);
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
