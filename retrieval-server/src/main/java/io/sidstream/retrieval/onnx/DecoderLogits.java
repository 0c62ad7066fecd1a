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
        return new CachedEncoded(cache);
    }

    /**
     * Contract v2 (when the session has its graphs): each level computes only the beams' new
     * tokens, gathering the earlier tokens' keys and values from the previous level's cache by
     * parent. Otherwise, and whenever a call does not extend the previous one, v1's decode_step
     * re-reads the beams' whole token prefixes.
     */
    private final class CachedEncoded implements Encoded {
        private final HistoryCache cache;
        private DecoderSession.BeamCache beams;
        private int steps;

        CachedEncoded(HistoryCache cache) {
            this.cache = cache;
        }

        @Override
        public float[] step(long[] beamTokens, int width, int stepCount) {
            // Without parents the cache cannot be extended: recompute as v1 does.
            return session.decodeStep(cache, beamTokens, width, stepCount);
        }

        @Override
        public float[] step(long[] beamTokens, int[] parents, int width, int stepCount) {
            if (!session.beamCache()) {
                return session.decodeStep(cache, beamTokens, width, stepCount);
            }
            if (stepCount == 1 && width == 1) {
                replace(session.decodeStart(cache));
            } else if (beams != null && stepCount == steps + 1 && parents != null) {
                int rows = cache.requests() * width;
                long[] parentRows = new long[rows];
                long[] newTokens = new long[rows];
                for (int i = 0; i < rows; i++) {
                    parentRows[i] = parents[i];
                    newTokens[i] = beamTokens[i * stepCount + stepCount - 1];
                }
                replace(session.decodeNext(cache, beams, parentRows, newTokens, width));
            } else {
                return session.decodeStep(cache, beamTokens, width, stepCount);
            }
            steps = stepCount;
            return beams.logProbs();
        }

        private void replace(DecoderSession.BeamCache next) {
            if (beams != null) {
                beams.close();
            }
            beams = next;
        }

        @Override
        public void close() {
            replace(null);
            cache.close();
        }
    }
}
