package io.sidstream.retrieval.batch;

import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SearchTraffic;
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
 *
 * <p>Interactive admission is by time, not count: an interactive request is refused at once when
 * the search work queued ahead of it (beam widths, priced at the measured cost of a beam unit in
 * recent batches) would keep it waiting longer than {@code maxInteractiveWait}. Under overload the
 * accepted requests therefore keep the latency of a short queue, and the excess is refused while
 * the client can still retry elsewhere. A request whose deadline passes while it waits is dropped
 * unsearched with {@link DeadlineExceededException}: nobody waits for its answer.
 */
public final class MicroBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatcher.class);

    /** Which queue a request waits in; interactive requests are always searched first. */
    public enum Lane {
        INTERACTIVE,
        BULK
    }

    private record Pending(
            BeamRequest request,
            Lane lane,
            CompletableFuture<BeamResult> result,
            long queuedAt,
            long deadlineNanos) {
        boolean expired(long now) {
            return now - deadlineNanos > 0;
        }
    }

    /** Weight of the newest batch in the moving average of the cost of one beam unit. */
    private static final double COST_SMOOTHING = 0.2;

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final ServingSlot slot;
    private volatile ShadowScorer shadow;
    private final SidTrie trie;
    private final int maxBatch;
    private final Duration maxWait;
    private final int capacity;
    private final long maxInteractiveWaitNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<Pending> interactive = new ArrayDeque<>();
    private final ArrayDeque<Pending> bulk = new ArrayDeque<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread worker;

    private final RetrievalMetrics metrics;

    /** Beam widths of the queued interactive requests, summed; guarded by {@code lock}. */
    private long interactiveBeamUnits;

    /**
     * Beam widths of the interactive requests in the batch being searched, summed; guarded by
     * {@code lock}. Bulk work in flight is not counted: the budget guards against interactive
     * overload, and a Kafka backlog must not make the HTTP API refuse everything.
     */
    private long inFlightBeamUnits;

    /** When the batch in flight started ({@link System#nanoTime()}); guarded by {@code lock}. */
    private long inFlightSince;

    /** Moving average of a batch's search time per beam unit; 0 until the first batch. */
    private volatile double nanosPerBeamUnit;

    /** With lanes of 4,096 requests each. */
    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            RetrievalMetrics metrics) {
        this(search, trie, maxBatch, maxWait, 4_096, metrics);
    }

    /** Without a wait budget for interactive requests. */
    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            int capacity,
            RetrievalMetrics metrics) {
        this(search, trie, maxBatch, maxWait, capacity, Duration.ZERO, metrics);
    }

    /**
     * @param capacity requests each lane holds before refusing more
     * @param maxInteractiveWait longest estimated queue wait an interactive request is admitted
     *     with; zero: no limit but the lane's capacity
     */
    public MicroBatcher(
            BeamSearch search,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            int capacity,
            Duration maxInteractiveWait,
            RetrievalMetrics metrics) {
        this(
                ServingSlot.of("", search),
                trie,
                maxBatch,
                maxWait,
                capacity,
                maxInteractiveWait,
                metrics);
    }

    /**
     * Searches with the model of {@code slot} at the time each batch starts, so a decoder swapped
     * into the slot answers from the next batch on; every result names its model's version.
     */
    public MicroBatcher(
            ServingSlot slot,
            SidTrie trie,
            int maxBatch,
            Duration maxWait,
            int capacity,
            Duration maxInteractiveWait,
            RetrievalMetrics metrics) {
        this.maxInteractiveWaitNanos = maxInteractiveWait.toNanos();
        this.slot = slot;
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

    /** Queues a request without a deadline. */
    public CompletableFuture<BeamResult> submit(BeamRequest request, Lane lane) {
        return submit(request, lane, null);
    }

    /**
     * Queues a request; the future completes with its result, the batch's failure, at once with
     * {@link OverloadedException} when the lane is full (or, interactive, its wait budget spent),
     * or with {@link DeadlineExceededException} when {@code deadline} passes before its search
     * starts.
     *
     * @param deadline when nobody waits for the answer any more; null: never
     */
    public CompletableFuture<BeamResult> submit(
            BeamRequest request, Lane lane, java.time.Instant deadline) {
        CompletableFuture<BeamResult> result = new CompletableFuture<>();
        long now = System.nanoTime();
        long deadlineNanos =
                deadline == null
                        ? NO_DEADLINE
                        : now + Duration.between(java.time.Instant.now(), deadline).toNanos();
        if (!running.get()) {
            result.completeExceptionally(new IllegalStateException("retrieval is shutting down"));
            return result;
        }
        lock.lock();
        try {
            ArrayDeque<Pending> queue = lane == Lane.INTERACTIVE ? interactive : bulk;
            String laneName = lane.name().toLowerCase(java.util.Locale.ROOT);
            if (queue.size() >= capacity) {
                metrics.refused(laneName, "queue_full");
                result.completeExceptionally(
                        new OverloadedException(
                                "search queue full (" + capacity + " " + laneName + " requests)"));
                return result;
            }
            if (lane == Lane.INTERACTIVE && maxInteractiveWaitNanos > 0) {
                long wait = estimatedWaitNanos();
                if (wait > maxInteractiveWaitNanos) {
                    metrics.refused(laneName, "wait_budget");
                    result.completeExceptionally(
                            new OverloadedException(
                                    "search queue would keep this request waiting about "
                                            + TimeUnit.NANOSECONDS.toMillis(wait)
                                            + " ms (budget "
                                            + TimeUnit.NANOSECONDS.toMillis(maxInteractiveWaitNanos)
                                            + " ms)"));
                    return result;
                }
                interactiveBeamUnits += request.beamWidth();
            }
            metrics.submitted(request.beamWidth());
            queue.addLast(new Pending(request, lane, result, now, deadlineNanos));
            arrived.signal();
        } finally {
            lock.unlock();
        }
        return result;
    }

    /**
     * The search time ahead of a new interactive request: what is left of the interactive requests
     * in flight, and the interactive requests queued, by beam width at the recent cost of a beam
     * unit (its own search is not counted, so a single wide request on an idle server is always
     * admitted). Called under {@code lock}.
     */
    private long estimatedWaitNanos() {
        double cost = nanosPerBeamUnit;
        if (cost <= 0) {
            return 0;
        }
        long inFlightLeft =
                Math.max(
                        0, (long) (inFlightBeamUnits * cost) - (System.nanoTime() - inFlightSince));
        return inFlightLeft + (long) (interactiveBeamUnits * cost);
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
                List<BeamRequest> requests = batch.stream().map(Pending::request).toList();
                // Read before answering: a shadow installed once these answers are out must not
                // score them, so a caller that swaps scorers between two calls knows which saw
                // what.
                ShadowScorer candidate = shadow;
                long t0 = System.nanoTime();
                List<BeamResult> results = new ArrayList<>(batch.size());
                String version;
                String engine;
                SearchTraffic.Totals moved = SearchTraffic.Totals.NONE;
                try (ServingSlot.Lease lease = slot.lease()) {
                    version = lease.model().version();
                    engine = lease.model().engineFor(requests);
                    // Only this thread searches with the live model, so the change is this batch's.
                    SearchTraffic traffic = lease.model().traffic();
                    SearchTraffic.Totals before = traffic == null ? null : traffic.totals();
                    for (BeamResult r : lease.model().search(requests, trie)) {
                        results.add(r.scoredBy(version));
                    }
                    if (traffic != null) {
                        moved = traffic.totals().since(before);
                    }
                }
                long done = System.nanoTime();
                metrics.searched(batch.size(), done - t0);
                metrics.bundleSearched(version, "live", engine, done - t0);
                metrics.decoderTraffic(moved);
                learnCost(batch, done - t0);
                for (int i = 0; i < batch.size(); i++) {
                    metrics.answered(done - batch.get(i).queuedAt());
                    batch.get(i).result().complete(results.get(i));
                }
                if (candidate != null) {
                    candidate.offer(requests, results);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("beam search failed for a batch of {}", batch.size(), e);
                batch.forEach(p -> p.result().completeExceptionally(e));
            } finally {
                batch.clear();
                lock.lock();
                try {
                    inFlightBeamUnits = 0;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void learnCost(List<Pending> batch, long nanos) {
        long units = 0;
        for (Pending p : batch) {
            units += p.request().beamWidth();
        }
        double sample = (double) nanos / Math.max(1, units);
        double old = nanosPerBeamUnit;
        nanosPerBeamUnit = old <= 0 ? sample : old + COST_SMOOTHING * (sample - old);
    }

    /**
     * Fills {@code batch}: the oldest interactive request (else the oldest bulk one), then others
     * of the same beam width, interactive first, until {@code maxBatch} or {@code maxWait}.
     */
    private boolean collect(List<Pending> batch) throws InterruptedException {
        lock.lock();
        try {
            dropExpired(System.nanoTime());
            if (interactive.isEmpty() && bulk.isEmpty()) {
                arrived.await(100, TimeUnit.MILLISECONDS);
                dropExpired(System.nanoTime());
                if (interactive.isEmpty() && bulk.isEmpty()) {
                    return false;
                }
            }
            Pending first;
            // From here the batch's interactive requests count as in flight (never in neither).
            inFlightSince = System.nanoTime();
            if (!interactive.isEmpty()) {
                first = interactive.pollFirst();
                interactiveBeamUnits -= first.request().beamWidth();
                inFlightBeamUnits += first.request().beamWidth();
            } else {
                first = bulk.pollFirst();
            }
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
            if (p.request().beamWidth() == width && !p.expired(System.nanoTime())) {
                it.remove();
                if (p.lane() == Lane.INTERACTIVE) {
                    interactiveBeamUnits -= width;
                    inFlightBeamUnits += width;
                }
                batch.add(p);
            }
        }
    }

    /** Completes and removes the queued requests whose deadline has passed. */
    private void dropExpired(long now) {
        for (ArrayDeque<Pending> queue : List.of(interactive, bulk)) {
            for (var it = queue.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (p.expired(now)) {
                    it.remove();
                    if (p.lane() == Lane.INTERACTIVE) {
                        interactiveBeamUnits -= p.request().beamWidth();
                    }
                    metrics.expired();
                    p.result()
                            .completeExceptionally(
                                    new DeadlineExceededException(
                                            "deadline passed after "
                                                    + TimeUnit.NANOSECONDS.toMillis(
                                                            now - p.queuedAt())
                                                    + " ms in the search queue"));
                }
            }
        }
    }

    /** The slot whose model answers; swap a decoder-only update into it. */
    public ServingSlot slot() {
        return slot;
    }

    /**
     * Starts scoring a sample of answered requests with {@code next} (null: stop) from the next
     * batch that starts, and returns the scorer it replaces, which the caller closes.
     */
    public ShadowScorer shadow(ShadowScorer next) {
        ShadowScorer previous = shadow;
        shadow = next;
        return previous;
    }

    /** The shadow scorer now sampling, or null. */
    public ShadowScorer shadow() {
        return shadow;
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
