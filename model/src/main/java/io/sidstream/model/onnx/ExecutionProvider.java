package io.sidstream.model.onnx;

import java.util.Locale;

/**
 * Where the decoder runs: {@code auto} tries CUDA and falls back to CPU; {@code cuda} requires it.
 */
public enum ExecutionProvider {
    AUTO,
    CUDA,
    CPU;

    /** Parses {@code auto|cuda|cpu}, case-insensitively. */
    public static ExecutionProvider parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "execution provider '" + value + "' is not one of auto, cuda, cpu", e);
        }
    }
}
