package io.sidstream.retrieval.beam;

import java.util.List;

/**
 * The answer to one {@link BeamRequest}.
 *
 * @param candidates items best first, each once
 * @param exhausted true when fewer than topK items were reachable (the list is short, not padded)
 * @param indexVersion the {@link SidTrie#version()} the search started on
 * @param modelVersion the bundle whose decoder scored it; null until the serving layer names it
 */
public record BeamResult(
        List<Candidate> candidates, boolean exhausted, long indexVersion, String modelVersion) {

    public BeamResult {
        candidates = List.copyOf(candidates);
    }

    public BeamResult(List<Candidate> candidates, boolean exhausted, long indexVersion) {
        this(candidates, exhausted, indexVersion, null);
    }

    /** This result, named as scored by the decoder of bundle {@code version}. */
    public BeamResult scoredBy(String version) {
        return new BeamResult(candidates, exhausted, indexVersion, version);
    }

    /**
     * A recommended item.
     *
     * @param itemId live item id
     * @param sid its full SID (L codes + collision code)
     * @param score sum of the per-level log-probabilities of its L-level prefix
     */
    public record Candidate(String itemId, List<Integer> sid, double score) {
        public Candidate {
            sid = List.copyOf(sid);
        }
    }
}
