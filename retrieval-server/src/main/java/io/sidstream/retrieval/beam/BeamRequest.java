package io.sidstream.retrieval.beam;

import java.util.List;
import java.util.Set;

/**
 * One search: the user's history as SIDs (oldest first), how wide to search and how many items to
 * return, and optional steering.
 *
 * @param history full SIDs of the history items, oldest first (truncated to the model's maximum)
 * @param beamWidth beams kept per level
 * @param topK items to return at most
 * @param excludeItems item ids never returned (e.g. the history itself)
 * @param includePrefixes if non-empty, only SIDs starting with one of these code prefixes
 * @param excludePrefixes SIDs starting with any of these code prefixes are never returned
 */
public record BeamRequest(
        List<int[]> history,
        int beamWidth,
        int topK,
        Set<String> excludeItems,
        List<int[]> includePrefixes,
        List<int[]> excludePrefixes) {

    public BeamRequest {
        if (beamWidth < 1 || topK < 1) {
            throw new IllegalArgumentException("beamWidth and topK must be >= 1");
        }
        history = List.copyOf(history);
        excludeItems = Set.copyOf(excludeItems);
        includePrefixes = List.copyOf(includePrefixes);
        excludePrefixes = List.copyOf(excludePrefixes);
    }

    /** A plain request without steering or exclusions. */
    public static BeamRequest of(List<int[]> history, int beamWidth, int topK) {
        return new BeamRequest(history, beamWidth, topK, Set.of(), List.of(), List.of());
    }
}
