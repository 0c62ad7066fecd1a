package io.sidstream.model.tokens;

import java.util.List;

/**
 * Turns an item's SID (L semantic codes + the collision code) into the token ids a ranker's
 * embedding table is indexed by. Implementations are immutable and thread-safe.
 */
public interface SidTokenizer {
    /** The name results are published under (the bundle's tokenizer name). */
    String name();

    /** Rows of the ranker's embedding table: every id is in {@code [0, vocabSize)}. */
    int vocabSize();

    /** The tokens of one SID. */
    int[] tokenize(List<Integer> sid);

    /** The id meaning "not in the vocabulary", or -1 when every SID tokenizes to known ids. */
    int unknownId();
}
