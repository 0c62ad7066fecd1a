package io.sidstream.retrieval.batch;

import io.sidstream.retrieval.RetrievalMetrics;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.SidTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Scores a sample of live requests with a candidate decoder without answering them: after the live
 * answer is out, a sampled request queues here, and one background thread searches it with the
 * candidate over the same live index. Per candidate bundle it records the overlap of the two top-K
 * lists, each side's search time and each side's SIDs that the index does not hold (always 0 for a
 * constrained search: a rise means a broken bundle or index). The queue is small and never blocks
 * the live path: a request that finds it full is not scored, and is counted.
 */
public final class ShadowScorer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShadowScorer.class);

    /** Requests waiting to be scored at most; beyond, samples are dropped. */
    static final int QUEUE_CAPACITY = 256;

    private record Sample(BeamRequest request, BeamResult live) {}

    /**
     * What the candidate has scored so far.
     *
     * @param meanOverlap mean over scored requests of |live top-K and candidate top-K| / K
     * @param meanCandidateSearchMillis mean search time of the candidate's batches (the live side's
     *     is {@code sidstream_retrieval_bundle_search_latency_seconds{role="live"}})
     */
    public record Stats(
            String candidate,
            double samplePercent,
            long scored,
            long dropped,
            long failed,
            long liveInvalid,
            long candidateInvalid,
            double meanOverlap,
            double meanCandidateSearchMillis) {}

    private final ServingSlot candidate;
    private final SidTrie trie;
    private final double sampleRate;
    private final int maxBatch;
    private final RetrievalMetrics metrics;
    private final BlockingQueue<Sample> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong scored = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong liveInvalid = new AtomicLong();
    private final AtomicLong candidateInvalid = new AtomicLong();
    private final DoubleAdder overlapSum = new DoubleAdder();
    private final AtomicLong candidateBatches = new AtomicLong();
    private final AtomicLong candidateNanos = new AtomicLong();
    private final Thread worker;

    /**
     * @param candidate the bundle scored in shadow; this scorer owns it and closes it
     * @param samplePercent share of live requests scored, in (0, 100]
     * @param maxBatch requests of one beam width searched together at most
     */
    public ShadowScorer(
            ServingSlot.Model candidate,
            SidTrie trie,
            double samplePercent,
            int maxBatch,
            RetrievalMetrics metrics) {
        if (!(samplePercent > 0 && samplePercent <= 100)) {
            throw new IllegalArgumentException(
                    "the shadow sample is a percentage in (0, 100], got " + samplePercent);
        }
        this.candidate = new ServingSlot(candidate);
        this.trie = trie;
        this.sampleRate = samplePercent / 100.0;
        this.maxBatch = maxBatch;
        this.metrics = metrics;
        metrics.shadowSeries(candidate.version());
        this.worker = new Thread(this::run, "shadow-scorer");
        this.worker.setDaemon(true);
        this.worker.setPriority(Thread.MIN_PRIORITY);
        this.worker.start();
    }

    /** The candidate's bundle version. */
    public String candidateVersion() {
        return candidate.current().version();
    }

    /** Samples a live batch's requests for scoring; never blocks. */
    void offer(List<BeamRequest> requests, List<BeamResult> live) {
        for (int i = 0; i < requests.size(); i++) {
            if (ThreadLocalRandom.current().nextDouble() >= sampleRate) {
                continue;
            }
            if (!queue.offer(new Sample(requests.get(i), live.get(i)))) {
                dropped.incrementAndGet();
                metrics.shadowDropped(candidateVersion());
            }
        }
    }

    public Stats stats() {
        long n = scored.get();
        long batches = candidateBatches.get();
        return new Stats(
                candidateVersion(),
                sampleRate * 100,
                n,
                dropped.get(),
                failed.get(),
                liveInvalid.get(),
                candidateInvalid.get(),
                n == 0 ? Double.NaN : overlapSum.sum() / n,
                batches == 0 ? Double.NaN : candidateNanos.get() / 1e6 / batches);
    }

    private void run() {
        List<Sample> batch = new ArrayList<>(maxBatch);
        while (running.get()) {
            try {
                Sample first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                for (var it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                    Sample s = it.next();
                    if (s.request().beamWidth() == first.request().beamWidth() && queue.remove(s)) {
                        batch.add(s);
                    }
                }
                score(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                failed.addAndGet(batch.size());
                LOG.warn(
                        "shadow scoring of {} requests with bundle {} failed: {}",
                        batch.size(),
                        candidateVersion(),
                        e.toString());
            } finally {
                batch.clear();
            }
        }
    }

    private void score(List<Sample> batch) {
        List<BeamResult> shadow;
        String version;
        long t0 = System.nanoTime();
        String engine;
        try (ServingSlot.Lease lease = candidate.lease()) {
            version = lease.model().version();
            List<BeamRequest> requests = batch.stream().map(Sample::request).toList();
            engine = lease.model().engineFor(requests);
            shadow = lease.model().search(requests, trie);
        }
        long nanos = System.nanoTime() - t0;
        candidateBatches.incrementAndGet();
        candidateNanos.addAndGet(nanos);
        metrics.bundleSearched(version, "shadow", engine, nanos);
        for (int i = 0; i < batch.size(); i++) {
            BeamResult live = batch.get(i).live();
            BeamResult cand = shadow.get(i);
            double overlap = overlap(live, cand, batch.get(i).request().topK());
            int liveBad = invalid(live);
            int candBad = invalid(cand);
            liveInvalid.addAndGet(liveBad);
            candidateInvalid.addAndGet(candBad);
            overlapSum.add(overlap);
            scored.incrementAndGet();
            metrics.shadowScored(version, live.modelVersion(), overlap, liveBad, candBad);
        }
    }

    /** |top-K of a and top-K of b| / K, with K the request's; 1 when both are empty. */
    static double overlap(BeamResult a, BeamResult b, int k) {
        int depth = Math.min(k, Math.max(a.candidates().size(), b.candidates().size()));
        if (depth == 0) {
            return 1.0;
        }
        Set<String> top = new HashSet<>();
        for (int i = 0; i < Math.min(depth, a.candidates().size()); i++) {
            top.add(a.candidates().get(i).itemId());
        }
        int shared = 0;
        for (int i = 0; i < Math.min(depth, b.candidates().size()); i++) {
            if (top.contains(b.candidates().get(i).itemId())) {
                shared++;
            }
        }
        return (double) shared / depth;
    }

    /** Candidates whose SID is not the one the live index holds for the item now. */
    private int invalid(BeamResult result) {
        int bad = 0;
        for (BeamResult.Candidate c : result.candidates()) {
            int[] sid = trie.sidOf(c.itemId());
            if (sid == null
                    || !Arrays.equals(
                            sid, c.sid().stream().mapToInt(Integer::intValue).toArray())) {
                bad++;
            }
        }
        return bad;
    }

    @Override
    public void close() {
        running.set(false);
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        candidate.close();
    }
}
