package io.sidstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per reason under a {@code reason} label (the reason in lower case). The declared
 * reasons' series exist at 0 from the start, so rates and alerts see no gaps; another reason,
 * should one occur, gets its series then.
 */
final class ReasonCounters {
    private final Map<String, Counter> byReason = new ConcurrentHashMap<>();
    private final MeterRegistry registry;
    private final String name;
    private final String description;

    ReasonCounters(MeterRegistry registry, String name, String description, Enum<?>[] reasons) {
        this.registry = registry;
        this.name = name;
        this.description = description;
        for (Enum<?> reason : reasons) {
            counter(reason);
        }
    }

    void increment(Enum<?> reason) {
        counter(reason).increment();
    }

    double count(Enum<?> reason) {
        Counter c = byReason.get(reason.name());
        return c == null ? 0 : c.count();
    }

    private Counter counter(Enum<?> reason) {
        return byReason.computeIfAbsent(
                reason.name(),
                r ->
                        Counter.builder(name)
                                .description(description)
                                .tag("reason", r.toLowerCase(Locale.ROOT))
                                .register(registry));
    }
}
