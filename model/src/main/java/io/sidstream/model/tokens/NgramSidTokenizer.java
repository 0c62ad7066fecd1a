package io.sidstream.model.tokens;

import java.util.List;

/**
 * The n-gram baseline of SID tokenization, with no training: {@code unigram} gives one token per
 * (level, code), {@code bigram} one per consecutive pair of codes (level l's code with level l +
 * 1's). The vocabulary is every possible n-gram, so no SID is ever unknown, at the price of a table
 * of {@code levels * K} (unigram) or {@code (levels - 1) * K^2} (bigram) rows.
 */
public final class NgramSidTokenizer implements SidTokenizer {
    private final int n;
    private final int positions;
    private final int codesPerLevel;

    /**
     * @param n 1 (unigram) or 2 (bigram)
     * @param positions codes per SID, the collision code included
     */
    public NgramSidTokenizer(int n, int positions, int codesPerLevel) {
        if (n != 1 && n != 2) {
            throw new IllegalArgumentException("n-gram order must be 1 or 2, not " + n);
        }
        this.n = n;
        this.positions = positions;
        this.codesPerLevel = codesPerLevel;
    }

    @Override
    public String name() {
        return "ngram-" + n;
    }

    @Override
    public int vocabSize() {
        return n == 1 ? positions * codesPerLevel : (positions - 1) * codesPerLevel * codesPerLevel;
    }

    @Override
    public int unknownId() {
        return -1;
    }

    @Override
    public int[] tokenize(List<Integer> sid) {
        if (sid.size() != positions) {
            throw new IllegalArgumentException(
                    "SID of " + sid.size() + " codes; this tokenizer takes " + positions);
        }
        int[] out = new int[positions - n + 1];
        for (int l = 0; l < out.length; l++) {
            int code = check(sid.get(l), l);
            out[l] =
                    n == 1
                            ? l * codesPerLevel + code
                            : (l * codesPerLevel + code) * codesPerLevel
                                    + check(sid.get(l + 1), l + 1);
        }
        return out;
    }

    private int check(int code, int level) {
        if (code < 0 || code >= codesPerLevel) {
            throw new IllegalArgumentException(
                    "code " + code + " at level " + level + " outside [0, " + codesPerLevel + ")");
        }
        return code;
    }
}
