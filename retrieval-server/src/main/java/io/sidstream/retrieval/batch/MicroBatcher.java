package io.sidstream.retrieval.batch;

import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Dynamic micro-batching with back-pressure: requests from any thread queue up in one of two
 * bounded lanes, {@link Lane#INTERACTIVE} (HTTP: a person waits) before {@link Lane#BULK} (the
 * Kafka backlog); one worker takes up to {@code maxBatch} requests of the same beam width (a
 * beam-1024 request never pads 31 beam-32 ones to 1024), waiting at most {@code maxWait} after the
 * first, and runs one batched beam search. A full lane refuses a request at once with {@link
 * OverloadedException}. A failure of one batch fails only that batch's futures.
 */
public final class MicroBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    /** Which queue a request waits in; interactive requests are always searched first. */
    public enum Lane {
        INTERACTIVE,
        BULK
    }

    private record Pending(
            BeamRequest request, CompletableFuture<BeamResult> result, long queuedAt) {}

    private final BeamSearch search;
    private final SidTrie trie;
    private final int maxBatch;
    private final Duration maxWait;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Pending> interactive = new ArrayDeque<>();
    private final ArrayDeque<Pending> bulk = new ArrayDeque<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread worker;

    private final RetrievalMetrics metrics;

    /** With lanes of 4,096 requests each. */
    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            RetrievalMetrics metrics) {
        this(search, trie, maxBatch, maxWait, 4_096, metrics);
    }

    /**
     * @param capacity requests each lane holds before refusing more
     */
    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            int capacity,
            RetrievalMetrics metrics) {
        this.search = search;
        this.metrics = metrics;
        this.trie = trie;
        this.maxBatch = maxBatch;
        this.maxWait = maxWait;
        this.capacity = capacity;
        metrics.queueDepth(this::queued);
        this.worker = new Thread(this::run, "beam-search-batcher");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues a bulk request. */
    public CompletableFuture<BeamResult> submit(BeamRequest request) {
        return submit(request, Lane.BULK);
    }

    /**
     * Queues a request; the future completes with its result, the batch's failure, or at once with
     * {@link OverloadedException} when the lane is full.
     */
    public CompletableFuture<BeamResult> submit(BeamRequest request, Lane lane) {
        CompletableFuture<BeamResult> result = new CompletableFuture<>();
        if (!running.get()) {
            result.completeExceptionally(new IllegalStateException("retrieval is shutting down"));
            return result;
        }
        lock.lock();
        try {
            ArrayDeque<Pending> queue = lane == Lane.INTERACTIVE ? interactive : bulk;
            if (queue.size() >= capacity) {
                metrics.refused(lane.name().toLowerCase(java.util.Locale.ROOT));
                result.completeExceptionally(
                        new OverloadedException(
                                "search queue full (" + capacity + " " + lane + " requests)"));
                return result;
            }
            metrics.submitted(request.beamWidth());
            queue.addLast(new Pending(request, result, System.nanoTime()));
            arrived.signal();
        } finally {
            lock.unlock();
        }
        return result;
    }

    /** Requests waiting in both lanes. */
    public int queued() {
        lock.lock();
        try {
            return interactive.size() + bulk.size();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (running.get() || queued() > 0) {
            try {
                if (!collect(batch)) {
                    continue;
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
                LOG.error("beam search failed for a batch of {}", batch.size(), e);
                batch.forEach(p -> p.result().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    /**
     * Fills {@code batch}: the oldest interactive request (else the oldest bulk one), then others
     * of the same beam width, interactive first, until {@code maxBatch} or {@code maxWait}.
     */
    private boolean collect(List<Pending> batch) throws InterruptedException {
        lock.lock();
        try {
            if (interactive.isEmpty() && bulk.isEmpty()) {
                arrived.await(100, TimeUnit.MILLISECONDS);
                if (interactive.isEmpty() && bulk.isEmpty()) {
                    return false;
                }
            }
            Pending first = !interactive.isEmpty() ? interactive.pollFirst() : bulk.pollFirst();
            batch.add(first);
            int width = first.request().beamWidth();
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (batch.size() < maxBatch) {
                take(interactive, width, batch);
                take(bulk, width, batch);
                long left = deadline - System.nanoTime();
                if (batch.size() >= maxBatch || left <= 0) {
                    break;
                }
                arrived.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void take(ArrayDeque<Pending> queue, int width, List<Pending> batch) {
        for (var it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
            Pending p = it.next();
            if (p.request().beamWidth() == width) {
                it.remove();
                batch.add(p);
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
