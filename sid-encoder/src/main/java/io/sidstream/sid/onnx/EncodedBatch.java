package io.sidstream.sid.onnx;

import java.util.Arrays;

/**
 * The RQ-VAE encoder's output for a batch: L semantic codes per row and the norm of the residual
 * left after the last level (a large residual means the item is poorly represented by its SID).
 * Immutable; accessors return copies.
 */
public final class EncodedBatch {
    private final int[][] codes;
    private final float[] residualNorms;

    EncodedBatch(int[][] codes, float[] residualNorms) {
        this.codes = codes;
        this.residualNorms = residualNorms;
    }

    /** Number of rows. */
    public int size() {
        return codes.length;
    }

    /** The L codes of row {@code i}, coarse to fine. */
    public int[] codes(int i) {
        return codes[i].clone();
    }

    /** Residual norm of row {@code i}. */
    public float residualNorm(int i) {
        return residualNorms[i];
    }

    @Override
    public String toString() {
        return "EncodedBatch[size="
                + codes.length
                + ", first="
                + (codes.length > 0 ? Arrays.toString(codes[0]) : "-")
                + "]";
    }
}
