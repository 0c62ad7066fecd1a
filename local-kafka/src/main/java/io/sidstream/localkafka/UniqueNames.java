package io.sidstream.localkafka;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

final class UniqueNames {
    private static final AtomicLong COUNTER = new AtomicLong();
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000, 36);

    private UniqueNames() {}

    static String next(String prefix) {
        String safe = prefix.replaceAll("[^A-Za-z0-9._-]", "-").toLowerCase(Locale.ROOT);
        return safe + "-" + RUN + "-" + COUNTER.incrementAndGet();
    }
}
