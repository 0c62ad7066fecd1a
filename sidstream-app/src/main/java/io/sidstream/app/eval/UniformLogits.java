package io.sidstream.app.eval;

import io.sidstream.retrieval.beam.LogitsFn;

/**
 * A decoder with no opinion: every code equally likely. Beam search over it with a popularity prior
 * ranks by the prior alone, constrained to live SIDs: the "prior alone" component.
 */
public final class UniformLogits implements LogitsFn {
    private final int codebookSize;

    public UniformLogits(int codebookSize) {
        this.codebookSize = codebookSize;
    }

    @Override
    public int codebookSize() {
        return codebookSize;
    }

    @Override
    public Encoded encode(long[][] historyTokens) {
        int requests = historyTokens.length;
        return new Encoded() {
            @Override
            public float[] step(long[] beamTokens, int beams, int steps) {
                return new float[requests * beams * codebookSize];
            }

            @Override
            public void close() {}
        };
    }
}
