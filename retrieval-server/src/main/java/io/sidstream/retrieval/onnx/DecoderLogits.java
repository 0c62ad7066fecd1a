package io.sidstream.retrieval.onnx;

import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.TokenLayout;

/** The ONNX decoder as beam search sees it: encode histories once, one graph call per level. */
public final class DecoderLogits implements LogitsFn {
    private final DecoderSession session;

    public DecoderLogits(DecoderSession session) {
        this.session = session;
    }

    /** The token layout of a bundle's manifest. */
    public static TokenLayout layoutOf(BundleManifest manifest) {
        BundleManifest.Tokens t = manifest.tokens();
        return new TokenLayout(
                t.pad(), t.bos(), t.levelOffsets(), t.collisionOffset(), t.collisionCodes());
    }

    @Override
    public int codebookSize() {
        return session.codebookSize();
    }

    @Override
    public Encoded encode(long[][] historyTokens) {
        HistoryCache cache = session.encodeHistory(historyTokens);
        return new Encoded() {
            @Override
            public float[] step(long[] beamTokens, int beams, int steps) {
                return session.decodeStep(cache, beamTokens, beams, steps);
            }

            @Override
            public void close() {
                cache.close();
            }
        };
    }
}
