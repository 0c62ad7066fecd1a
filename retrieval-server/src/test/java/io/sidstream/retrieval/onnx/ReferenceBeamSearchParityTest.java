package io.sidstream.retrieval.onnx;

import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Java beam search over the ONNX decoder reproduces the trainer's reference beam search, with
 * contract v2's beam-token cache and with v1's full decode steps.
 */
class ReferenceBeamSearchParityTest {

    @ParameterizedTest(name = "beam cache {0}")
    @ValueSource(booleans = {true, false})
    void shouldReturnTheTrainersItemsInOrderWithItsScores(boolean beamCache) {
        ModelBundle bundle = ModelBundle.load(DefaultBundleDecoderTest.DEFAULT_BUNDLE);
        assertThat(bundle.manifest().decoder().hasBeamCache()).isTrue();
        BeamSearchParity.Report report =
                BeamSearchParity.check(bundle, ExecutionProvider.CPU, beamCache);
        assertThat(report.mismatches()).isEmpty();
        assertThat(report.items()).isGreaterThan(100);
        // 3 cases x (start + one extension per later level) with the cache; none without.
        assertThat(report.beamCacheCalls()).isEqualTo(beamCache ? 3 * 3 : 0);
    }

    @Test
    void shouldReturnTheTrainersItemsInOrderFromOneCallOfTheSearchGraphPerBatch() {
        ModelBundle bundle = ModelBundle.load(DefaultBundleDecoderTest.DEFAULT_BUNDLE);
        assertThat(bundle.manifest().decoder().hasSearchGraph()).isTrue();
        BeamSearchParity.Report report =
                BeamSearchParity.checkSearchGraph(bundle, ExecutionProvider.CPU);
        assertThat(report.mismatches()).isEmpty();
        assertThat(report.items()).isGreaterThan(100);
        // 3 cases, each one batch of every parity history: one call each, whatever the levels.
        assertThat(report.beamCacheCalls()).isEqualTo(3);
    }
}
