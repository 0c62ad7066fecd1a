package io.sidstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per reason under a {@code reason} label (the reason in lower case), every reason's
 * series registered at 0 from the start so rates and alerts see no gaps.
 */
final class ReasonCounters {
    private final Map<String, Counter> byReason = new ConcurrentHashMap<>();

    ReasonCounters(MeterRegistry registry, String name, String description, Enum<?>[] reasons) {
        for (Enum<?> reason : reasons) {
            byReason.put(
                    reason.name(),
                    Counter.builder(name)
                            .description(description)
                            .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                            .register(registry));
        }
    }

    void increment(Enum<?> reason) {
        Counter c = byReason.get(reason.name());
        if (c == null) {
            throw new IllegalArgumentException("not a declared reason: " + reason);
        }
        c.increment();
    }

    double count(Enum<?> reason) {
        Counter c = byReason.get(reason.name());
        return c == null ? 0 : c.count();
    }
}
