package io.sidstream.retrieval.beam;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A live popularity prior over the SID space: exponentially decayed interaction counts of every SID
 * prefix (at each level) and of every item. The beam search adds {@code weight x log P(code |
 * prefix)} at each level and {@code weight x log P(item | final prefix)} among a final prefix's
 * items; summed over the levels that is {@code weight x log P(item)} by the chain rule, so the
 * search ranks by a product of the decoder's and the recent popularity's distributions, and
 * explores the regions of the SID space that are active now.
 *
 * <p>Decay without timestamps: an event at time t adds {@code 2^((t - origin) / halfLife)} instead
 * of 1, so every count is in the same unit at any moment and ratios need no per-entry time. The
 * smoothing pseudo-count is in events of "now": {@code pseudoCount x 2^((now - origin) /
 * halfLife)}. Once the unit grows too large, every count is divided by it ({@link #observe}
 * rebases).
 *
 * <p>Thread-safety: one writer ({@link #observe}) and any number of readers; a reader may see a
 * count one event stale, never a torn structure. Pure Java, shared by retrieval-server and the
 * offline evaluation so both compute the same prior.
 */
public final class PopularityPrior {
    /** Rebase once an event weighs more than 2^this: far from overflow, rarely (years apart). */
    private static final double MAX_EXPONENT = 200;

    private final int levels;
    private final int codebookSize;
    private final double halfLifeMillis;
    private final double pseudoCount;
    private final Map<Long, double[]> children = new ConcurrentHashMap<>();
    private final Map<String, double[]> items = new ConcurrentHashMap<>();
    private volatile long originMillis = Long.MIN_VALUE;
    private volatile long latestMillis = Long.MIN_VALUE;
    private volatile long events;

    /**
     * @param levels SID levels the beam search decodes (the collision code is not one)
     * @param codebookSize codes per level
     * @param halfLife after this long an event counts half
     * @param pseudoCount additive smoothing, in events of the query time, per code and per item
     */
    public PopularityPrior(int levels, int codebookSize, Duration halfLife, double pseudoCount) {
        if (levels < 1 || codebookSize < 2 || halfLife.isNegative() || halfLife.isZero()) {
            throw new IllegalArgumentException("levels >= 1, codebook >= 2, half-life > 0");
        }
        if (levels * Math.log(codebookSize + 1.0) >= 62 * Math.log(2)) {
            throw new IllegalArgumentException("SID space too large for 64-bit prefix keys");
        }
        if (!(pseudoCount > 0)) {
            throw new IllegalArgumentException("pseudoCount must be > 0");
        }
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.halfLifeMillis = halfLife.toMillis();
        this.pseudoCount = pseudoCount;
    }

    public int levels() {
        return levels;
    }

    /** Counts one interaction with {@code itemId}, whose SID starts with {@code sid}. */
    public void observe(String itemId, int[] sid, long timeMillis) {
        if (sid.length < levels) {
            throw new IllegalArgumentException("SID shorter than " + levels + " levels");
        }
        if (originMillis == Long.MIN_VALUE) {
            originMillis = timeMillis;
        }
        if (timeMillis > latestMillis) {
            latestMillis = timeMillis;
        }
        if ((timeMillis - originMillis) / halfLifeMillis > MAX_EXPONENT) {
            rebase(timeMillis);
        }
        double weight = unitAt(timeMillis);
        long key = 0;
        for (int depth = 0; depth < levels; depth++) {
            double[] counts = children.computeIfAbsent(key, k -> new double[codebookSize + 1]);
            int code = sid[depth];
            counts[code] += weight;
            counts[codebookSize] += weight;
            key = childKey(key, code);
        }
        items.computeIfAbsent(itemId, k -> new double[1])[0] += weight;
        // Last, so a reader that sees this count sees the event's counts (a volatile write).
        events++;
    }

    /**
     * The prior's clock: the newest event time observed (event time, as Kafka Streams keeps stream
     * time), so a replay of old events and a wall clock far ahead of them agree; {@code
     * Long.MIN_VALUE} before the first event.
     */
    public long latestMillis() {
        return latestMillis;
    }

    /** Events observed so far, each counted in full once it shows here. */
    public long events() {
        return events;
    }

    /** {@link #unitAt} the prior's own clock, {@link #latestMillis()}. */
    public double unitNow() {
        long latest = latestMillis;
        return latest == Long.MIN_VALUE ? 1 : unitAt(latest);
    }

    /**
     * What one event of {@code nowMillis} weighs in the counts' unit; the search computes it once
     * and hands it to {@link Row#at} and {@link #logItem}.
     */
    public double unitAt(long nowMillis) {
        long origin = originMillis;
        if (origin == Long.MIN_VALUE) {
            return 1;
        }
        return Math.pow(2, (nowMillis - origin) / halfLifeMillis);
    }

    /**
     * A reusable view of one prefix's children, for callers that need {@code log P(c | prefix)} for
     * a few codes only (the beam's live ones): no log is taken for codes never asked about.
     */
    public final class Row {
        private double[] counts;
        private double alpha;
        private double logDenominator;
        private double logUnseen;

        /** Points this row at {@code prefix[0..depth)} at the counts' {@code unit}. */
        public Row at(int[] prefix, int depth, double unit) {
            counts = children.get(key(prefix, depth));
            alpha = pseudoCount * unit;
            logDenominator =
                    counts == null
                            ? Math.log(codebookSize)
                            : Math.log(counts[codebookSize] + alpha * codebookSize);
            // Codes never seen under this prefix share one log, taken when first asked for.
            logUnseen = counts == null ? -logDenominator : Double.NaN;
            return this;
        }

        /** {@code log P(code | prefix)}. */
        public double log(int code) {
            if (counts == null) {
                return logUnseen;
            }
            if (counts[code] != 0) {
                return Math.log(counts[code] + alpha) - logDenominator;
            }
            if (Double.isNaN(logUnseen)) {
                logUnseen = Math.log(alpha) - logDenominator;
            }
            return logUnseen;
        }
    }

    /** A new {@link Row}; one per search, reused across its beams. */
    public Row row() {
        return new Row();
    }

    /**
     * {@code log P(item | prefix)} among the {@code siblings} items under the full prefix {@code
     * prefix} (length {@link #levels()}).
     */
    public double logItem(String itemId, int[] prefix, int siblings, double unit) {
        double alpha = pseudoCount * unit;
        double[] item = items.get(itemId);
        double[] parent = children.get(key(prefix, levels - 1));
        double prefixCount = parent == null ? 0 : parent[prefix[levels - 1]];
        return Math.log((item == null ? 0 : item[0]) + alpha)
                - Math.log(prefixCount + alpha * Math.max(1, siblings));
    }

    /** The decayed count of {@code itemId} in events of {@code nowMillis}. */
    public double count(String itemId, long nowMillis) {
        double[] item = items.get(itemId);
        return item == null ? 0 : item[0] / unitAt(nowMillis);
    }

    private void rebase(long timeMillis) {
        double unit = unitAt(timeMillis);
        for (double[] counts : children.values()) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] /= unit;
            }
        }
        for (double[] count : items.values()) {
            count[0] /= unit;
        }
        originMillis = timeMillis;
    }

    private long key(int[] prefix, int depth) {
        long key = 0;
        for (int i = 0; i < depth; i++) {
            key = childKey(key, prefix[i]);
        }
        return key;
    }

    private long childKey(long parent, int code) {
        return parent * (codebookSize + 1) + code + 1;
    }
}
