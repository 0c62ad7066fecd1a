package io.sidstream.retrieval.beam;

/**
 * The model seen by beam search: encode a batch of histories once, then score the next SID level
 * for all beams of those requests. The ONNX decoder implements it ({@code
 * io.sidstream.retrieval.onnx.DecoderLogits}); tests use deterministic fakes.
 */
public interface LogitsFn {

    /** Codes per level K: the width of every log-probability row. */
    int codebookSize();

    /** Encodes left-padded history tokens {@code [R][T]}; the caller closes the result. */
    Encoded encode(long[][] historyTokens);

    /** Histories encoded once per search; owns whatever the model keeps for them. */
    interface Encoded extends AutoCloseable {

        /**
         * Log-probabilities of the next level for {@code beams} beams per request, given tokens
         * {@code [R][beams][steps]} row-major (BOS then the levels chosen so far). Returns {@code
         * [R][beams][K]} row-major.
         */
        float[] step(long[] beamTokens, int beams, int steps);

        /**
         * Like {@link #step(long[], int, int)}, also saying which beam of the previous call each
         * beam extends ({@code parents[r * beams + w]}, a row of the previous call; ignored at the
         * first step): a model that caches the beams' tokens computes only the new one. Calls of
         * one search must come level by level.
         */
        default float[] step(long[] beamTokens, int[] parents, int beams, int steps) {
            return step(beamTokens, beams, steps);
        }

        @Override
        void close();
    }
}
