package io.sidstream.retrieval.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reproduces the decoder parity vectors a bundle ships with: the history mask and the
 * log-probabilities of every decode step, computed here with ONNX Runtime, must match the trainer's
 * within the tolerance recorded in the vectors (1e-4 by default).
 */
public final class DecoderParity {
    private DecoderParity() {}

    /**
     * The result of a parity check.
     *
     * @param values values compared
     * @param maxAbsDiff largest absolute difference seen
     * @param tolerance allowed absolute difference
     * @param mismatches one sentence per step that exceeded the tolerance
     */
    public record Report(int values, double maxAbsDiff, double tolerance, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty() && values > 0;
        }
    }

    /** Runs the bundle's decoder graphs on its parity inputs and compares. */
    public static Report check(ModelBundle bundle, ExecutionProvider provider) {
        JsonNode parity = parityVectors(bundle, "decoder");
        double tolerance = parity.path("tolerance").asDouble(1e-4);
        long[][] history = toLongMatrix(parity.path("history_tokens"));
        List<String> mismatches = new ArrayList<>();
        double maxDiff = 0;
        int compared = 0;
        try (DecoderSession decoder = DecoderSession.open(bundle, provider, 1);
                HistoryCache cache = decoder.encodeHistory(history)) {
            float[][] mask = cache.mask();
            for (int r = 0; r < mask.length; r++) {
                for (int t = 0; t < mask[r].length; t++) {
                    double expected = parity.path("past_mask").get(r).get(t).asDouble();
                    // The pad bias is a large negative constant; compare relatively there.
                    double diff =
                            Math.abs(expected - mask[r][t]) / Math.max(1.0, Math.abs(expected));
                    maxDiff = Math.max(maxDiff, diff);
                    compared++;
                    if (diff > tolerance) {
                        mismatches.add(
                                "past_mask["
                                        + r
                                        + "]["
                                        + t
                                        + "] = "
                                        + mask[r][t]
                                        + ", trainer "
                                        + expected);
                    }
                }
            }
            int stepIndex = 0;
            for (JsonNode step : parity.path("steps")) {
                JsonNode beams = step.path("beam_tokens");
                int requests = beams.size();
                int width = beams.get(0).size();
                int steps = beams.get(0).get(0).size();
                long[] tokens = new long[requests * width * steps];
                int i = 0;
                for (JsonNode request : beams) {
                    for (JsonNode beam : request) {
                        for (JsonNode token : beam) {
                            tokens[i++] = token.asLong();
                        }
                    }
                }
                List<float[]> outputs = new ArrayList<>();
                outputs.add(decoder.decodeStep(cache, tokens, width, steps));
                if (decoder.beamCache()) {
                    outputs.add(throughBeamCache(decoder, cache, tokens, requests, width, steps));
                }
                for (int o = 0; o < outputs.size(); o++) {
                    float[] actual = outputs.get(o);
                    double stepMax = 0;
                    int k = decoder.codebookSize();
                    for (int r = 0; r < requests; r++) {
                        for (int w = 0; w < width; w++) {
                            JsonNode expected = step.path("log_probs").get(r).get(w);
                            for (int c = 0; c < k; c++) {
                                double diff =
                                        Math.abs(
                                                expected.get(c).asDouble()
                                                        - actual[(r * width + w) * k + c]);
                                stepMax = Math.max(stepMax, diff);
                                compared++;
                            }
                        }
                    }
                    maxDiff = Math.max(maxDiff, stepMax);
                    if (stepMax > tolerance) {
                        mismatches.add(
                                String.format(
                                        Locale.ROOT,
                                        "decode step %d (S=%d)%s: max |diff| %.3g > %.1g",
                                        stepIndex,
                                        steps,
                                        o == 0 ? "" : " through the beam cache",
                                        stepMax,
                                        tolerance));
                    }
                }
                stepIndex++;
            }
        }
        return new Report(compared, maxDiff, tolerance, mismatches);
    }

    /**
     * The same step through contract v2: start, then one extension per level, each beam its own
     * parent (the vectors' beams are independent prefixes, not a search).
     */
    private static float[] throughBeamCache(
            DecoderSession decoder,
            HistoryCache cache,
            long[] tokens,
            int requests,
            int width,
            int steps) {
        DecoderSession.BeamCache beams = decoder.decodeStart(cache);
        try {
            if (steps == 1) {
                // Every beam is BOS alone: the start's one row per request, repeated.
                int k = decoder.codebookSize();
                float[] repeated = new float[requests * width * k];
                for (int row = 0; row < requests * width; row++) {
                    System.arraycopy(beams.logProbs(), row / width * k, repeated, row * k, k);
                }
                return repeated;
            }
            for (int s = 1; s < steps; s++) {
                long[] parents = new long[requests * width];
                long[] next = new long[requests * width];
                for (int row = 0; row < parents.length; row++) {
                    parents[row] = s == 1 ? 0 : row % width;
                    next[row] = tokens[row * steps + s];
                }
                DecoderSession.BeamCache extended =
                        decoder.decodeNext(cache, beams, parents, next, width);
                beams.close();
                beams = extended;
            }
            return beams.logProbs();
        } finally {
            beams.close();
        }
    }

    /** One section of the parity vectors a bundle ships with. */
    static JsonNode parityVectors(ModelBundle bundle, String section) {
        try {
            return new ObjectMapper()
                    .readTree(bundle.file(bundle.manifest().parityFile()).toFile())
                    .path(section);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read parity vectors of " + bundle, e);
        }
    }

    private static long[][] toLongMatrix(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonNode row = rows.get(r);
            out[r] = new long[row.size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = row.get(c).asLong();
            }
        }
        return out;
    }
}
