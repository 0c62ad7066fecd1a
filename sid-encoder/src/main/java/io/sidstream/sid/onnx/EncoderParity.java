package io.sidstream.sid.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.model.bundle.ModelBundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reproduces the encoder parity vectors a bundle ships with: the codes ONNX Runtime computes here
 * must equal the trainer's exactly, and residual norms must agree within 1e-4.
 */
public final class EncoderParity {
    /** Tolerance on residual norms. */
    public static final double NORM_TOLERANCE = 1e-4;

    private EncoderParity() {}

    /**
     * The result of a parity check.
     *
     * @param rows rows compared
     * @param mismatches one sentence per row that differs; empty when the check passed
     */
    public record Report(int rows, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty() && rows > 0;
        }
    }

    /** Runs the bundle's encoder on its parity inputs and compares. */
    public static Report check(ModelBundle bundle) {
        JsonNode parity = readParity(bundle).path("encoder");
        List<String> mismatches = new ArrayList<>();
        JsonNode embeddings = parity.path("embeddings");
        float[][] input = new float[embeddings.size()][];
        for (int i = 0; i < input.length; i++) {
            JsonNode row = embeddings.get(i);
            input[i] = new float[row.size()];
            for (int d = 0; d < row.size(); d++) {
                input[i][d] = (float) row.get(d).asDouble();
            }
        }
        try (RqVaeEncoder encoder = RqVaeEncoder.open(bundle, 1)) {
            EncodedBatch out = encoder.encode(input);
            for (int i = 0; i < input.length; i++) {
                int[] expected = new int[encoder.levels()];
                for (int l = 0; l < expected.length; l++) {
                    expected[l] = parity.path("codes").get(i).get(l).asInt();
                }
                String item = parity.path("item_ids").get(i).asText();
                if (!Arrays.equals(expected, out.codes(i))) {
                    mismatches.add(
                            "item "
                                    + item
                                    + ": codes "
                                    + Arrays.toString(out.codes(i))
                                    + ", trainer "
                                    + Arrays.toString(expected));
                }
                double norm = parity.path("residual_norm").get(i).asDouble();
                if (Math.abs(norm - out.residualNorm(i)) > NORM_TOLERANCE) {
                    mismatches.add(
                            "item "
                                    + item
                                    + ": residual norm "
                                    + out.residualNorm(i)
                                    + ", trainer "
                                    + norm);
                }
            }
        }
        return new Report(input.length, mismatches);
    }

    /** The bundle's parity JSON. */
    public static JsonNode readParity(ModelBundle bundle) {
        try {
            return new ObjectMapper()
                    .readTree(bundle.file(bundle.manifest().parityFile()).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read parity vectors of " + bundle, e);
        }
    }
}
