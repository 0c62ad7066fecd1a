package io.sidstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sidstream.ingest.errors.RejectReason;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Meters of the user-history builder, registered once per process and shared by its tasks:
 *
 * <ul>
 *   <li>{@code sidstream.history.applied} (interactions inserted in a history), {@code
 *       sidstream.history.deferred} (interactions that had to wait for their item's SID) and {@code
 *       sidstream.history.duplicates} (redelivered interactions skipped);
 *   <li>{@code sidstream.history.pending} (gauge: interactions waiting for their item's SID now,
 *       summed over this instance's tasks at their last check);
 *   <li>{@code sidstream.history.dlq{reason}} (interactions sent to users.events.v1.dlq, e.g.
 *       {@code too_late}, {@code sid_timeout}, {@code future_event}, {@code undecodable}).
 * </ul>
 */
public final class HistoryMetrics {
    private final MeterRegistry registry;
    private final Counter applied;
    private final Counter deferred;
    private final Counter duplicates;
    private final Counter foreignBundleSids;
    private final Map<String, Integer> pendingByTask = new ConcurrentHashMap<>();
    private final ReasonCounters dlq;

    public HistoryMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.applied =
                Counter.builder("sidstream.history.applied")
                        .description("Interactions inserted in a user history")
                        .register(registry);
        this.deferred =
                Counter.builder("sidstream.history.deferred")
                        .description("Interactions that arrived before their item's SID and waited")
                        .register(registry);
        this.duplicates =
                Counter.builder("sidstream.history.duplicates")
                        .description("Redelivered interactions (same event id) skipped")
                        .register(registry);
        this.foreignBundleSids =
                Counter.builder("sidstream.ingest.sid.index.foreign.bundle")
                        .description(
                                "items.sid.v1 records of another bundle skipped by the SID index"
                                        + " histories resolve through")
                        .register(registry);
        Gauge.builder(
                        "sidstream.history.pending",
                        pendingByTask,
                        m -> m.values().stream().mapToInt(Integer::intValue).sum())
                .description("Interactions waiting for their item's SID, at each task's last check")
                .register(registry);
        this.dlq =
                new ReasonCounters(
                        registry,
                        "sidstream.history.dlq",
                        "Interactions sent to users.events.v1.dlq, by reason",
                        RejectReason.INTERACTION_REASONS);
    }

    /** The counter of foreign-bundle SID records the global SID index skipped. */
    public Counter foreignBundleSids() {
        return foreignBundleSids;
    }

    public void applied() {
        applied.increment();
    }

    public void deferred() {
        deferred.increment();
    }

    public void duplicate() {
        duplicates.increment();
    }

    /** The number of interactions task {@code taskId} holds waiting, as of now. */
    public void pending(String taskId, int waiting) {
        pendingByTask.put(taskId, waiting);
    }

    /** The task is gone from this instance (rebalanced away or closed). */
    public void taskClosed(String taskId) {
        pendingByTask.remove(taskId);
    }

    public void deadLetter(RejectReason reason) {
        dlq.increment(reason);
    }

    /** The count of one meter, for tests. */
    public double count(String meter) {
        return switch (meter) {
            case "applied" -> applied.count();
            case "deferred" -> deferred.count();
            case "duplicates" -> duplicates.count();
            default -> throw new IllegalArgumentException(meter);
        };
    }

    /** Dead letters for one reason so far. */
    public double deadLetters(Enum<?> reason) {
        return dlq.count(reason);
    }

    /** Interactions waiting, over all tasks. */
    public int pending() {
        return pendingByTask.values().stream().mapToInt(Integer::intValue).sum();
    }
}
