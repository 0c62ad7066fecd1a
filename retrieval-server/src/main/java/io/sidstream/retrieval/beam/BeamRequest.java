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
 * @param steerToward semantic codes to steer toward (a sentence's SID), or {@code null}: a beam
 *     gains {@code steerWeight} for every level at which its prefix still equals these codes
 * @param steerWeight the bonus per matching level, in log-probability units
 */
public record BeamRequest(
        List<int[]> history,
        int beamWidth,
        int topK,
        Set<String> excludeItems,
        List<int[]> includePrefixes,
        List<int[]> excludePrefixes,
        int[] steerToward,
        double steerWeight) {

    public BeamRequest {
        if (beamWidth < 1 || topK < 1) {
            throw new IllegalArgumentException("beamWidth and topK must be >= 1");
        }
        if (!(steerWeight >= 0) || Double.isInfinite(steerWeight)) {
            throw new IllegalArgumentException("steerWeight must be finite and >= 0");
        }
        history = List.copyOf(history);
        excludeItems = Set.copyOf(excludeItems);
        includePrefixes = List.copyOf(includePrefixes);
        excludePrefixes = List.copyOf(excludePrefixes);
        steerToward = steerToward == null ? null : steerToward.clone();
    }

    /** A request without soft steering. */
    public BeamRequest(
            List<int[]> history,
            int beamWidth,
            int topK,
            Set<String> excludeItems,
            List<int[]> includePrefixes,
            List<int[]> excludePrefixes) {
        this(history, beamWidth, topK, excludeItems, includePrefixes, excludePrefixes, null, 0);
    }

    /** This request steered toward {@code codes} with {@code weight} per matching level. */
    public BeamRequest steeredToward(int[] codes, double weight) {
        return new BeamRequest(
                history,
                beamWidth,
                topK,
                excludeItems,
                includePrefixes,
                excludePrefixes,
                codes,
                weight);
    }

    @Override
    public int[] steerToward() {
        return steerToward == null ? null : steerToward.clone();
    }

    /** A plain request without steering or exclusions. */
    public static BeamRequest of(List<int[]> history, int beamWidth, int topK) {
        return new BeamRequest(history, beamWidth, topK, Set.of(), List.of(), List.of());
    }
}
