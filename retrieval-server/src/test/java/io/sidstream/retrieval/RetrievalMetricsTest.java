package io.sidstream.retrieval;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.retrieval.beam.LogitsFn;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RetrievalMetricsTest {

    @Test
    void shouldPassEveryBeamsParentThroughTheTimedDecoderSoTheBeamCacheServes() {
        List<int[]> parentsSeen = new ArrayList<>();
        LogitsFn model =
                new LogitsFn() {
                    @Override
                    public int codebookSize() {
                        return 2;
                    }

                    @Override
                    public Encoded encode(long[][] historyTokens) {
                        return new Encoded() {
                            @Override
                            public float[] step(long[] beamTokens, int beams, int steps) {
                                throw new AssertionError("the full recomputation was called");
                            }

                            @Override
                            public float[] step(
                                    long[] beamTokens, int[] parents, int beams, int steps) {
                                parentsSeen.add(parents);
                                return new float[beams * 2];
                            }

                            @Override
                            public void close() {}
                        };
                    }
                };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LogitsFn timed = new RetrievalMetrics(registry).timed(model);
        try (LogitsFn.Encoded encoded = timed.encode(new long[][] {{1}})) {
            encoded.step(new long[] {1, 5, 1, 6}, new int[] {0, 0}, 2, 2);
        }
        assertThat(parentsSeen).singleElement().isEqualTo(new int[] {0, 0});
        assertThat(
                        registry.get("sidstream.retrieval.model.latency")
                                .tag("call", "step")
                                .timer()
                                .count())
                .isEqualTo(1);
    }
}
