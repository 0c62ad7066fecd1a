package io.sidstream.retrieval.beam;

import java.util.List;

/**
 * How SID codes become decoder tokens (see {@code training/CONTRACT.md}): BOS starts every beam,
 * code {@code c} of level {@code l} is {@code levelOffsets[l] + c}, collision code {@code c} is
 * {@code collisionOffset + min(c, collisionCodes - 1)}.
 */
public record TokenLayout(
        int pad, int bos, List<Integer> levelOffsets, int collisionOffset, int collisionCodes) {

    public TokenLayout {
        levelOffsets = List.copyOf(levelOffsets);
    }

    /** Semantic levels L. */
    public int levels() {
        return levelOffsets.size();
    }

    /** Token of code {@code code} at level {@code level}. */
    public long levelToken(int level, int code) {
        return levelOffsets.get(level) + code;
    }

    /** Tokens of one history item: its L level tokens, then its collision token. */
    public long[] itemTokens(int[] sid) {
        int levels = levels();
        long[] tokens = new long[levels + 1];
        for (int l = 0; l < levels; l++) {
            tokens[l] = levelToken(l, sid[l]);
        }
        tokens[levels] =
                collisionOffset
                        + Math.min(sid.length > levels ? sid[levels] : 0, collisionCodes - 1);
        return tokens;
    }
}
