package io.sidstream.retrieval;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.SearchTraffic;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Meters of retrieval: {@code sidstream.retrieval.requests{source}} (kafka/http), {@code
 * sidstream.retrieval.dlq{reason}}, {@code sidstream.retrieval.batch.size}, {@code
 * sidstream.retrieval.beam.width}, {@code sidstream.retrieval.request.latency} (queued ->
 * answered), {@code sidstream.retrieval.search.latency} (one batched search), {@code
 * sidstream.retrieval.model.latency{call=encode|step}} (decoder calls).
 */
public final class RetrievalMetrics {
    private final MeterRegistry registry;
    private final DistributionSummary batchSize;
    private final DistributionSummary beamWidth;
    private final Timer requestLatency;
    private final Timer searchLatency;
    private final Timer encodeLatency;
    private final Timer stepLatency;
    private final Counter retried;
    private final Counter duplicates;

    private final Counter decoderCalls;
    private final Counter decoderInBytes;
    private final Counter decoderOutBytes;

    public RetrievalMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.batchSize =
                DistributionSummary.builder("sidstream.retrieval.batch.size")
                        .description("Requests per batched beam search")
                        .register(registry);
        this.beamWidth =
                DistributionSummary.builder("sidstream.retrieval.beam.width")
                        .description("Beam width of each request searched")
                        .register(registry);
        this.requestLatency =
                timer(
                        "sidstream.retrieval.request.latency",
                        null,
                        "Time from a request entering the search queue to its result");
        this.searchLatency =
                timer("sidstream.retrieval.search.latency", null, "Time of one batched search");
        this.encodeLatency =
                timer(
                        "sidstream.retrieval.model.latency",
                        "encode",
                        "Time of one decoder call (encode: histories, step: one SID level)");
        this.stepLatency =
                timer(
                        "sidstream.retrieval.model.latency",
                        "step",
                        "Time of one decoder call (encode: histories, step: one SID level)");
        this.decoderCalls =
                Counter.builder("sidstream.retrieval.decoder.calls")
                        .description(
                                "ONNX Runtime calls of the live decoder's searches (one per"
                                        + " batch as one graph, 1 + levels level by level)")
                        .register(registry);
        this.decoderInBytes =
                Counter.builder("sidstream.retrieval.decoder.input.bytes")
                        .description(
                                "Bytes of the live decoder calls' inputs: on a GPU, copied host to"
                                        + " device")
                        .register(registry);
        this.decoderOutBytes =
                Counter.builder("sidstream.retrieval.decoder.output.bytes")
                        .description(
                                "Bytes of the live decoder calls' outputs: on a GPU, copied device"
                                        + " to host")
                        .register(registry);
        this.retried =
                Counter.builder("sidstream.retrieval.requests.retried")
                        .description(
                                "Request batches read again after a transient failure (history"
                                        + " lookup, result write); nothing was committed")
                        .register(registry);
        this.duplicates =
                Counter.builder("sidstream.retrieval.requests.duplicate")
                        .description("Requests re-sent with a request id already answered")
                        .register(registry);
        // Every series exists from the start at 0, so rate() and alerts see a flat line, not a gap.
        for (String source : List.of("http", "kafka")) {
            requests(source);
        }
        for (String lane : List.of("interactive", "bulk")) {
            for (String reason : List.of("queue_full", "wait_budget")) {
                refusedCounter(lane, reason);
            }
        }
        expiredCounter();
        for (String reason : List.of("undecodable", "unknown_schema_version", "invalid_request")) {
            dlq(reason);
        }
    }

    /**
     * A request refused at once: {@code reason} queue_full (its lane held its capacity) or
     * wait_budget (the interactive work ahead of it would exceed the wait budget).
     */
    public void refused(String lane, String reason) {
        refusedCounter(lane, reason).increment();
    }

    private Counter refusedCounter(String lane, String reason) {
        return Counter.builder("sidstream.retrieval.requests.refused")
                .description(
                        "Requests refused at once (429) because the search queue was full or the"
                                + " work ahead would exceed the interactive wait budget")
                .tag("lane", lane)
                .tag("reason", reason)
                .register(registry);
    }

    /** A queued request's deadline passed before its search started; it was dropped. */
    public void expired() {
        expiredCounter().increment();
    }

    private Counter expiredCounter() {
        return Counter.builder("sidstream.retrieval.requests.expired")
                .description(
                        "Queued requests dropped unsearched because their deadline passed (503)")
                .register(registry);
    }

    /** Reports the search queue's depth. */
    public void queueDepth(java.util.function.Supplier<Integer> depth) {
        io.micrometer.core.instrument.Gauge.builder(
                        "sidstream.retrieval.queue.depth", () -> depth.get())
                .description("Requests waiting for the beam search, both lanes")
                .register(registry);
    }

    /** Reports the request loop's consumer lag. */
    public void requestLag(java.util.function.LongSupplier lag) {
        io.micrometer.core.instrument.Gauge.builder(
                        "sidstream.retrieval.requests.lag", () -> (double) lag.getAsLong())
                .description(
                        "Requests on retrieval.requests.v1 partitions of this instance not read yet"
                                + " (consumer lag at the last poll)")
                .register(registry);
    }

    /** A batch will be read again after a transient failure. */
    public void retried() {
        retried.increment();
    }

    /** A request with an already answered request id was skipped. */
    public void duplicate() {
        duplicates.increment();
    }

    private Timer timer(String name, String call, String help) {
        Timer.Builder b =
                Timer.builder(name)
                        .description(help)
                        .publishPercentiles(0.5, 0.99)
                        .publishPercentileHistogram();
        if (call != null) {
            b.tag("call", call);
        }
        return b.register(registry);
    }

    /** A request entered the batch queue. */
    public void submitted(int beamWidth) {
        this.beamWidth.record(beamWidth);
    }

    /** A batch of {@code size} requests was searched in {@code nanos}. */
    public void searched(int size, long nanos) {
        batchSize.record(size);
        searchLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A batch was searched by the decoder of bundle {@code bundle} in {@code nanos}, answering
     * ({@code role} live) or in shadow ({@code role} shadow), level by level ({@code engine}
     * levels) or as one graph call (graph).
     */
    public void bundleSearched(String bundle, String role, String engine, long nanos) {
        Timer.builder("sidstream.retrieval.bundle.search.latency")
                .description(
                        "Time of one batched search by bundle, answering (role=live) or scored in"
                                + " shadow (role=shadow), level by level (engine=levels) or as"
                                + " one decoder graph call (engine=graph)")
                .tag("bundle", bundle)
                .tag("role", role)
                .tag("engine", engine)
                .publishPercentiles(0.5, 0.99)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A live batch's decoder calls and the bytes they moved in and out. */
    public void decoderTraffic(SearchTraffic.Totals batch) {
        decoderCalls.increment(batch.calls());
        decoderInBytes.increment(batch.hostToDeviceBytes());
        decoderOutBytes.increment(batch.deviceToHostBytes());
    }

    /** The shadow series of a candidate bundle, at 0 from the moment it is loaded. */
    public void shadowSeries(String candidate) {
        shadowOverlap(candidate);
        shadowDropped(candidate, 0);
        invalid(candidate, "shadow");
    }

    /** A live request scored in shadow by {@code candidate}. */
    public void shadowScored(
            String candidate, String live, double overlap, int liveInvalid, int candidateInvalid) {
        shadowOverlap(candidate).record(overlap);
        invalid(candidate, "shadow").increment(candidateInvalid);
        invalid(live == null ? "" : live, "live").increment(liveInvalid);
    }

    /** A sampled request was not scored in shadow: the shadow queue was full. */
    public void shadowDropped(String candidate) {
        shadowDropped(candidate, 1);
    }

    private void shadowDropped(String candidate, int n) {
        Counter.builder("sidstream.retrieval.shadow.dropped")
                .description(
                        "Sampled requests the shadow candidate did not score because its queue was"
                                + " full (the live path never waits for it)")
                .tag("bundle", candidate)
                .register(registry)
                .increment(n);
    }

    private DistributionSummary shadowOverlap(String candidate) {
        return DistributionSummary.builder("sidstream.retrieval.shadow.overlap")
                .description(
                        "Share of the live answer's top K that the shadow candidate also ranks in"
                                + " its top K, per scored request")
                .tag("bundle", candidate)
                .publishPercentiles(0.1, 0.5, 0.9)
                .register(registry);
    }

    private Counter invalid(String bundle, String role) {
        return Counter.builder("sidstream.retrieval.bundle.invalid")
                .description(
                        "Candidates of sampled requests whose SID the live index did not hold for"
                                + " their item when checked (0 for a sound bundle and index)")
                .tag("bundle", bundle)
                .tag("role", role)
                .register(registry);
    }

    /** A request was answered {@code nanos} after it was queued. */
    public void answered(long nanos) {
        requestLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void request(String source) {
        requests(source).increment();
    }

    private Counter requests(String source) {
        return Counter.builder("sidstream.retrieval.requests")
                .description("Requests accepted for search, by source (http, kafka)")
                .tag("source", source)
                .register(registry);
    }

    /** A request went to the dead-letter topic; the label is the error class in lower case. */
    public void deadLetter(String errorClass) {
        dlq(errorClass.toLowerCase(Locale.ROOT)).increment();
    }

    private Counter dlq(String reason) {
        return Counter.builder("sidstream.retrieval.dlq")
                .description("Requests sent to retrieval.requests.v1.dlq, by reason")
                .tag("reason", reason)
                .register(registry);
    }

    /** Wraps a model so every encode and step call is timed. */
    public LogitsFn timed(LogitsFn model) {
        return new LogitsFn() {
            @Override
            public int codebookSize() {
                return model.codebookSize();
            }

            @Override
            public Encoded encode(long[][] historyTokens) {
                long t0 = System.nanoTime();
                Encoded inner = model.encode(historyTokens);
                encodeLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
                return new Encoded() {
                    @Override
                    public float[] step(long[] beamTokens, int beams, int steps) {
                        long s0 = System.nanoTime();
                        try {
                            return inner.step(beamTokens, beams, steps);
                        } finally {
                            stepLatency.record(System.nanoTime() - s0, TimeUnit.NANOSECONDS);
                        }
                    }

                    @Override
                    public float[] step(long[] beamTokens, int[] parents, int beams, int steps) {
                        // Passed through as it is: dropping the parents would silently serve
                        // contract v2 bundles through v1's full recomputation.
                        long s0 = System.nanoTime();
                        try {
                            return inner.step(beamTokens, parents, beams, steps);
                        } finally {
                            stepLatency.record(System.nanoTime() - s0, TimeUnit.NANOSECONDS);
                        }
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }
        };
    }
}
