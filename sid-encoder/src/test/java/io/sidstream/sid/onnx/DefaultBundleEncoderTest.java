package io.sidstream.sid.onnx;

import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.sid.embed.SentenceEmbedder;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The committed default bundle, run with ONNX Runtime, against what the trainer computed. */
class DefaultBundleEncoderTest {
    static final Path DEFAULT_BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @Test
    void shouldReproduceTheTrainersCodesExactly() {
        EncoderParity.Report report = EncoderParity.check(ModelBundle.load(DEFAULT_BUNDLE));
        assertThat(report.mismatches()).isEmpty();
        assertThat(report.rows()).isGreaterThanOrEqualTo(8);
    }

    @Test
    void shouldRejectAnEmbeddingOfTheWrongDimension() {
        try (RqVaeEncoder encoder = RqVaeEncoder.open(ModelBundle.load(DEFAULT_BUNDLE), 1)) {
            assertThat(encoder.dimension()).isEqualTo(SentenceEmbedder.DIMENSION);
            assertThatThrownBy(() -> encoder.encode(new float[][] {new float[3]}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("embedding has 3 values, the encoder expects 384");
        }
    }
}
