package io.sidstream.bench;

import io.sidstream.retrieval.beam.LogitsFn;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the log-probabilities a model returns during one search, so that the identical search can
 * be replayed without the model: a deterministic search asks for the same shapes in the same order,
 * and the replay checks that it does.
 */
final class RecordedLogits implements LogitsFn {
    private final LogitsFn model;
    private final List<float[]> steps = new ArrayList<>();

    RecordedLogits(LogitsFn model) {
        this.model = model;
    }

    @Override
    public int codebookSize() {
        return model.codebookSize();
    }

    @Override
    public Encoded encode(long[][] historyTokens) {
        steps.clear();
        Encoded encoded = model.encode(historyTokens);
        return new Encoded() {
            @Override
            public float[] step(long[] beamTokens, int beams, int stepCount) {
                float[] logProbs = encoded.step(beamTokens, beams, stepCount);
                steps.add(logProbs.clone());
                return logProbs;
            }

            @Override
            public void close() {
                encoded.close();
            }
        };
    }

    /** A model that answers the recorded steps again, in order, for every search. */
    LogitsFn replay() {
        List<float[]> recorded = List.copyOf(steps);
        int k = codebookSize();
        return new LogitsFn() {
            @Override
            public int codebookSize() {
                return k;
            }

            @Override
            public Encoded encode(long[][] historyTokens) {
                return new Encoded() {
                    private int next;

                    @Override
                    public float[] step(long[] beamTokens, int beams, int stepCount) {
                        float[] logProbs = recorded.get(next++);
                        if (logProbs.length != beamTokens.length / stepCount * k) {
                            throw new IllegalStateException(
                                    "replayed search diverged from the recorded one at step "
                                            + next);
                        }
                        return logProbs;
                    }

                    @Override
                    public void close() {}
                };
            }
        };
    }
}
