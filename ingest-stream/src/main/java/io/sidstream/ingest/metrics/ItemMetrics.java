package io.sidstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sidstream.ingest.errors.RejectReason;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Meters of SID assignment, registered once per process and shared by all stream threads:
 *
 * <ul>
 *   <li>{@code sidstream.items.assigned} (counter), {@code sidstream.items.unchanged} (re-listings
 *       that kept their SID), {@code sidstream.items.delisted};
 *   <li>{@code sidstream.items.dlq{reason}} (counter per {@link
 *       io.sidstream.ingest.errors.RejectReason});
 *   <li>{@code sidstream.items.assign.latency} (timer, item accepted -> SID published) and {@code
 *       sidstream.items.embed.batch} (items per model call);
 *   <li>{@code sidstream.items.collision.depth} (collision code + 1 of each assignment: the
 *       collision depth histogram);
 *   <li>{@code sidstream.sid.level.usage{level}} (gauge: share of the level's codebook seen on this
 *       instance since start) and {@code sidstream.sid.prefixes.seen}.
 * </ul>
 */
public final class ItemMetrics {
    private final MeterRegistry registry;
    private final Counter assigned;
    private final Counter unchanged;
    private final Counter delisted;
    private final Counter orphaned;
    private final Counter stale;
    private final Timer latency;
    private final DistributionSummary batch;
    private final DistributionSummary collision;
    private final ReasonCounters dlq;
    private final BitSet[] codesSeen;
    private final AtomicLong prefixesSeen = new AtomicLong();

    public ItemMetrics(MeterRegistry registry, int levels, int codebookSize) {
        this.registry = registry;
        this.assigned =
                Counter.builder("sidstream.items.assigned")
                        .description("SIDs published on items.sid.v1")
                        .register(registry);
        this.unchanged =
                Counter.builder("sidstream.items.unchanged")
                        .description("Re-listings with unchanged content, which keep their SID")
                        .register(registry);
        this.delisted =
                Counter.builder("sidstream.items.delisted")
                        .description("Items delisted (tombstones on items.raw.v1)")
                        .register(registry);
        this.orphaned =
                Counter.builder("sidstream.items.confirmations.orphaned")
                        .description(
                                "Collision-code answers that found no item state on the task they"
                                        + " reached (delisted meanwhile, or misrouted)")
                        .register(registry);
        this.stale =
                Counter.builder("sidstream.items.confirmations.stale")
                        .description(
                                "Collision-code answers for content that has changed since the"
                                        + " claim (the newer claim decides)")
                        .register(registry);
        this.latency =
                Timer.builder("sidstream.items.assign.latency")
                        .description("Time from an item event accepted to its SID published")
                        .publishPercentiles(0.5, 0.99)
                        .publishPercentileHistogram()
                        // The freshness objective's boundary (k8s/base/monitoring alerts on it).
                        .serviceLevelObjectives(Duration.ofSeconds(5))
                        .register(registry);
        this.batch =
                DistributionSummary.builder("sidstream.items.embed.batch")
                        .description(
                                "Text items per embedding model call (items that carry their own vector are encoded one by one as they arrive)")
                        .register(registry);
        this.collision =
                DistributionSummary.builder("sidstream.items.collision.depth")
                        .description("Collision code + 1 of each SID assigned")
                        .serviceLevelObjectives(1, 2, 3, 4, 8, 16, 64, 256)
                        .register(registry);
        this.codesSeen = new BitSet[levels];
        for (int l = 0; l < levels; l++) {
            BitSet seen = new BitSet(codebookSize);
            codesSeen[l] = seen;
            Gauge.builder(
                            "sidstream.sid.level.usage",
                            seen,
                            s -> {
                                synchronized (s) {
                                    return s.cardinality() / (double) codebookSize;
                                }
                            })
                    .description("Share of the level's codebook seen in SIDs since start")
                    .tag("level", Integer.toString(l))
                    .register(registry);
        }
        this.dlq =
                new ReasonCounters(
                        registry,
                        "sidstream.items.dlq",
                        "Item events and claims sent to items.raw.v1.dlq, by reason",
                        RejectReason.ITEM_REASONS);
        Gauge.builder("sidstream.sid.prefixes.seen", prefixesSeen, AtomicLong::doubleValue)
                .description("Distinct SID prefixes seen since start")
                .register(registry);
        Gauge.builder(
                        "sidstream.sid.diversity",
                        this,
                        m ->
                                m.assigned.count() == 0
                                        ? 1.0
                                        : Math.min(1.0, m.prefixesSeen.get() / m.assigned.count()))
                .description("Distinct prefixes per SID assigned since start (1 = no sharing)")
                .register(registry);
    }

    public void assigned(List<Integer> sid, long acceptedAtMillis, long nowMillis) {
        assigned.increment();
        latency.record(Duration.ofMillis(Math.max(0, nowMillis - acceptedAtMillis)));
        int levels = codesSeen.length;
        for (int l = 0; l < levels && l < sid.size(); l++) {
            synchronized (codesSeen[l]) {
                codesSeen[l].set(sid.get(l));
            }
        }
        if (sid.size() > levels) {
            int code = sid.get(levels);
            collision.record(code + 1.0);
            if (code == 0) {
                prefixesSeen.incrementAndGet();
            }
        }
    }

    /** The registry these meters live in, for meters of the same process. */
    public MeterRegistry registry() {
        return registry;
    }

    public void orphanedConfirmation() {
        orphaned.increment();
    }

    public void staleConfirmation() {
        stale.increment();
    }

    public void unchanged() {
        unchanged.increment();
    }

    public void delisted() {
        delisted.increment();
    }

    public void embedBatch(int size) {
        batch.record(size);
    }

    public void deadLetter(RejectReason reason) {
        dlq.increment(reason);
    }

    /** DLQ count for one reason, for tests and the dashboard. */
    public double deadLetters(Enum<?> reason) {
        return dlq.count(reason);
    }

    public double assignedCount() {
        return assigned.count();
    }
}
