package io.sidstream.retrieval.beam;

/**
 * A deterministic stand-in for the decoder: the log-probability of code c after a prefix is a
 * log-softmax over K pseudo-random values seeded by (history, level, prefix), so tests can compute
 * every SID's exact score independently.
 */
final class FakeLogits implements LogitsFn {
    final TokenLayout layout;
    final int k;
    int encodeCalls;
    int stepCalls;

    FakeLogits(TokenLayout layout, int k) {
        this.layout = layout;
        this.k = k;
    }

    @Override
    public int codebookSize() {
        return k;
    }

    /** Log-probabilities of the codes of level {@code prefix.length} after {@code prefix}. */
    double[] logProbs(long historySeed, int[] prefix, int length) {
        long seed = historySeed * 31 + length;
        for (int i = 0; i < length; i++) {
            seed = seed * 1_000_003 + prefix[i] + 1;
        }
        double[] logits = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            long x = mix(seed * 7919 + c);
            logits[c] = ((x >>> 11) * 0x1.0p-53) * 6.0;
            max = Math.max(max, logits[c]);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        for (int c = 0; c < k; c++) {
            logits[c] -= logSum;
        }
        return logits;
    }

    /** Exact score of a full prefix for a history. */
    double score(long historySeed, int[] sid) {
        double s = 0;
        for (int l = 0; l < layout.levels(); l++) {
            s += (float) logProbs(historySeed, sid, l)[sid[l]];
        }
        return s;
    }

    static long historySeed(long[] tokens) {
        long h = 17;
        for (long t : tokens) {
            if (t != 0) {
                h = h * 131 + t;
            }
        }
        return h;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public Encoded encode(long[][] historyTokens) {
        encodeCalls++;
        long[] seeds = new long[historyTokens.length];
        for (int r = 0; r < seeds.length; r++) {
            seeds[r] = historySeed(historyTokens[r]);
        }
        return new Encoded() {
            @Override
            public float[] step(long[] beamTokens, int beams, int steps) {
                stepCalls++;
                float[] out = new float[seeds.length * beams * k];
                int[] prefix = new int[steps - 1];
                for (int r = 0; r < seeds.length; r++) {
                    for (int w = 0; w < beams; w++) {
                        int base = (r * beams + w) * steps;
                        for (int l = 0; l < steps - 1; l++) {
                            prefix[l] =
                                    (int) (beamTokens[base + 1 + l] - layout.levelOffsets().get(l));
                        }
                        double[] lp = logProbs(seeds[r], prefix, steps - 1);
                        for (int c = 0; c < k; c++) {
                            out[(r * beams + w) * k + c] = (float) lp[c];
                        }
                    }
                }
                return out;
            }

            @Override
            public void close() {}
        };
    }
}
