package io.sidstream.model.tokens;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece model (unigram or BPE) applied to SIDs spelled as private-use characters, as the
 * reference trainer trains it ({@code training/sidstream_train/tokenizer.py}): level {@code l},
 * code {@code c} is the code point {@code base + l * codesPerLevel + c}. Encoding follows
 * SentencePiece's own algorithms, so the ids equal the trainer's for every SID
 * (SidTokenizerParityTest checks the whole catalog):
 *
 * <ul>
 *   <li>unigram: the Viterbi segmentation maximising the sum of piece scores; a character no piece
 *       covers is an unknown piece scored 10 below the lowest score; on equal scores the path found
 *       first (the longer piece ending there) wins;
 *   <li>BPE: start from characters, repeatedly merge the adjacent pair whose concatenation is a
 *       piece with the highest score, the leftmost on ties;
 * </ul>
 *
 * and in both, consecutive unknown pieces become one unknown id.
 */
public final class SentencePieceSidTokenizer implements SidTokenizer {
    private static final float UNKNOWN_PENALTY = 10f;

    private final String name;
    private final SentencePieceModel model;
    private final int base;
    private final int codesPerLevel;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int unknownId;
    private final float unknownScore;
    private final int maxPieceChars;

    public SentencePieceSidTokenizer(
            String name, SentencePieceModel model, int base, int codesPerLevel) {
        this.name = name;
        this.model = model;
        this.base = base;
        this.codesPerLevel = codesPerLevel;
        int unknown = -1;
        float minScore = Float.MAX_VALUE;
        int longest = 1;
        List<SentencePieceModel.Piece> pieces = model.pieces();
        for (int id = 0; id < pieces.size(); id++) {
            SentencePieceModel.Piece p = pieces.get(id);
            switch (p.type()) {
                case UNKNOWN -> unknown = id;
                case NORMAL -> {
                    ids.putIfAbsent(p.text(), id);
                    minScore = Math.min(minScore, p.score());
                    longest = Math.max(longest, p.text().codePointCount(0, p.text().length()));
                }
                case CONTROL -> {
                    // control pieces (<s>, </s>) never match SID text
                }
                default ->
                        // SentencePiece scores and merges these specially; the trainer makes none.
                        throw new IllegalArgumentException(
                                "tokenizer "
                                        + name
                                        + " has a "
                                        + p.type()
                                        + " piece (id "
                                        + id
                                        + "), which SID tokenizers do not support");
            }
        }
        if (unknown < 0) {
            throw new IllegalArgumentException("tokenizer " + name + " has no unknown piece");
        }
        this.unknownId = unknown;
        this.unknownScore = minScore - UNKNOWN_PENALTY;
        this.maxPieceChars = longest;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int vocabSize() {
        return model.pieces().size();
    }

    @Override
    public int unknownId() {
        return unknownId;
    }

    @Override
    public int[] tokenize(List<Integer> sid) {
        String[] chars = new String[sid.size()];
        for (int level = 0; level < sid.size(); level++) {
            int code = sid.get(level);
            if (code < 0 || code >= codesPerLevel) {
                throw new IllegalArgumentException(
                        "code "
                                + code
                                + " at level "
                                + level
                                + " outside [0, "
                                + codesPerLevel
                                + ")");
            }
            chars[level] = Character.toString(base + level * codesPerLevel + code);
        }
        List<Integer> out =
                model.kind() == SentencePieceModel.Kind.BPE ? bpe(chars) : unigram(chars);
        return mergeUnknowns(out);
    }

    private List<Integer> unigram(String[] chars) {
        int n = chars.length;
        float[] best = new float[n + 1];
        int[] from = new int[n + 1];
        int[] piece = new int[n + 1];
        boolean[] reached = new boolean[n + 1];
        reached[0] = true;
        for (int start = 0; start < n; start++) {
            if (!reached[start]) {
                continue;
            }
            boolean single = false;
            StringBuilder text = new StringBuilder();
            for (int end = start + 1; end <= n && end - start <= maxPieceChars; end++) {
                text.append(chars[end - 1]);
                Integer id = ids.get(text.toString());
                if (id == null) {
                    continue;
                }
                if (end == start + 1) {
                    single = true;
                }
                relax(best, from, piece, reached, start, end, id, model.pieces().get(id).score());
            }
            if (!single) {
                relax(best, from, piece, reached, start, start + 1, unknownId, unknownScore);
            }
        }
        List<Integer> reversed = new ArrayList<>();
        for (int at = n; at > 0; at = from[at]) {
            reversed.add(piece[at]);
        }
        List<Integer> out = new ArrayList<>(reversed.size());
        for (int i = reversed.size() - 1; i >= 0; i--) {
            out.add(reversed.get(i));
        }
        return out;
    }

    private static void relax(
            float[] best,
            int[] from,
            int[] piece,
            boolean[] reached,
            int start,
            int end,
            int id,
            float score) {
        // SentencePiece sums in float: near-ties resolve as it does.
        float candidate = best[start] + score;
        if (!reached[end] || candidate > best[end]) {
            reached[end] = true;
            best[end] = candidate;
            from[end] = start;
            piece[end] = id;
        }
    }

    private List<Integer> bpe(String[] chars) {
        List<String> symbols = new ArrayList<>(List.of(chars));
        while (symbols.size() > 1) {
            int bestAt = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer id = ids.get(symbols.get(i) + symbols.get(i + 1));
                if (id != null && model.pieces().get(id).score() > bestScore) {
                    bestScore = model.pieces().get(id).score();
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                break;
            }
            symbols.set(bestAt, symbols.get(bestAt) + symbols.remove(bestAt + 1));
        }
        List<Integer> out = new ArrayList<>(symbols.size());
        for (String s : symbols) {
            out.add(ids.getOrDefault(s, unknownId));
        }
        return out;
    }

    private int[] mergeUnknowns(List<Integer> tokens) {
        List<Integer> merged = new ArrayList<>(tokens.size());
        for (int t : tokens) {
            if (t == unknownId && !merged.isEmpty() && merged.get(merged.size() - 1) == unknownId) {
                continue;
            }
            merged.add(t);
        }
        return merged.stream().mapToInt(Integer::intValue).toArray();
    }
}
