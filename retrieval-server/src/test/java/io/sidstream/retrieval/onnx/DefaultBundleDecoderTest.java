package io.sidstream.retrieval.onnx;

import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.model.onnx.ExecutionProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The committed default bundle's decoder graphs, run with ONNX Runtime on the CPU. */
class DefaultBundleDecoderTest {
    static final Path DEFAULT_BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @Test
    void shouldReproduceTheTrainersLogProbabilitiesWithinTolerance() {
        DecoderParity.Report report =
                DecoderParity.check(ModelBundle.load(DEFAULT_BUNDLE), ExecutionProvider.CPU);
        assertThat(report.mismatches()).isEmpty();
        assertThat(report.maxAbsDiff()).isLessThanOrEqualTo(1e-4);
        assertThat(report.values()).isGreaterThan(1000);
    }

    @Test
    void shouldFallBackToCpuUnderAutoWithoutAGpu() {
        try (DecoderSession decoder =
                DecoderSession.open(ModelBundle.load(DEFAULT_BUNDLE), ExecutionProvider.AUTO, 1)) {
            // The CPU build of ONNX Runtime has no CUDA provider; the GPU build on a GPU host
            // would report "cuda" here, which this machine cannot have.
            assertThat(decoder.executionProvider()).isEqualTo("cpu");
            assertThat(decoder.fallbackReason()).isNotBlank();
        }
    }

    @Test
    void shouldFailFastWhenCudaIsRequiredButMissing() {
        assertThatThrownBy(
                        () ->
                                DecoderSession.open(
                                        ModelBundle.load(DEFAULT_BUNDLE),
                                        ExecutionProvider.CUDA,
                                        1))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("execution-provider=cuda but CUDA is unavailable");
    }

    @Test
    void shouldNameTheInputsOfAGraphThatBreaksTheContract(@TempDir Path dir) throws IOException {
        // A bundle whose decode-step file is really the encoder graph: checksums are fine, the
        // contract is not.
        try (Stream<Path> files = Files.list(DEFAULT_BUNDLE)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(
                manifest,
                Files.readString(manifest)
                        .replace(
                                "\"decodeStepFile\": \"decoder_decode_step.onnx\"",
                                "\"decodeStepFile\": \"rqvae_encoder.onnx\""));
        assertThatThrownBy(
                        () -> DecoderSession.open(ModelBundle.load(dir), ExecutionProvider.CPU, 1))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("rqvae_encoder.onnx inputs are [embedding]");
    }
}
