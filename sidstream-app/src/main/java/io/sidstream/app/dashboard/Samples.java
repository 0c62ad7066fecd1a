package io.sidstream.app.dashboard;

import java.util.Arrays;

/**
 * Latency samples in milliseconds (the first {@code capacity}; enough for a demo run) with a
 * histogram over fixed buckets and percentiles.
 */
final class Samples {
    /** Upper bounds of the histogram buckets (ms); a last bucket takes everything above. */
    static final long[] BUCKETS_MS = {25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000};

    private final long[] values;
    private int size;
    private long total;

    Samples(int capacity) {
        values = new long[capacity];
    }

    void add(long millis) {
        total++;
        if (size < values.length) {
            values[size++] = millis;
        }
    }

    /** Bucket counts (one more than {@link #BUCKETS_MS}) and percentiles of the kept samples. */
    record Summary(long count, long[] buckets, long p50, long p90, long p99, long max) {}

    Summary summary() {
        long[] buckets = new long[BUCKETS_MS.length + 1];
        long[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        for (long v : sorted) {
            int b = 0;
            while (b < BUCKETS_MS.length && v > BUCKETS_MS[b]) {
                b++;
            }
            buckets[b]++;
        }
        return new Summary(
                total,
                buckets,
                percentile(sorted, 0.50),
                percentile(sorted, 0.90),
                percentile(sorted, 0.99),
                size == 0 ? 0 : sorted[size - 1]);
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
