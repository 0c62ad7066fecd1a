package io.sidstream.retrieval.beam;

import java.util.List;

/**
 * Answers a batch of requests over the live index in one go: the level-by-level {@link BeamSearch},
 * or the whole search as one decoder graph.
 */
public interface BatchSearch {
    /** Results in request order. */
    List<BeamResult> search(List<BeamRequest> requests, SidTrie trie);

    /** Whether this search can answer {@code request}; a batch goes to it only if all can. */
    default boolean serves(BeamRequest request) {
        return true;
    }
}
