package io.sidstream.app.eval;

import java.util.Locale;

/** Recall@10/50/100 and NDCG@10 of leave-last-out ranks, one target per case. */
public final class RankMetrics {
    private static final int[] KS = {10, 50, 100};
    private int n;
    private final int[] hits = new int[KS.length];
    private double ndcg;

    /** Adds one case; {@code rank} is the target's 0-based rank, -1 when not in the top 100. */
    public void add(int rank) {
        n++;
        for (int i = 0; i < KS.length; i++) {
            hits[i] += rank >= 0 && rank < KS[i] ? 1 : 0;
        }
        if (rank >= 0 && rank < 10) {
            ndcg += 1.0 / (Math.log(rank + 2) / Math.log(2));
        }
    }

    public int cases() {
        return n;
    }

    public double recallAt10() {
        return hits[0] / (double) Math.max(n, 1);
    }

    public double ndcgAt10() {
        return ndcg / Math.max(n, 1);
    }

    /** Recall@10 + Recall@50 + Recall@100 + NDCG@10: one number to tune for all four. */
    public double sumOfAll() {
        double d = Math.max(n, 1);
        return (hits[0] + hits[1] + hits[2] + ndcg) / d;
    }

    public String json() {
        double d = Math.max(n, 1);
        return String.format(
                Locale.ROOT,
                "{\"cases\":%d,\"recall@10\":%.4f,\"recall@50\":%.4f,\"recall@100\":%.4f,"
                        + "\"ndcg@10\":%.4f}",
                n,
                hits[0] / d,
                hits[1] / d,
                hits[2] / d,
                ndcg / d);
    }

    /** One row of the human-readable table. */
    public String row(String name) {
        double d = Math.max(n, 1);
        return String.format(
                Locale.ROOT,
                "%-28s %6.4f %6.4f %6.4f %6.4f",
                name,
                hits[0] / d,
                hits[1] / d,
                hits[2] / d,
                ndcg / d);
    }
}
