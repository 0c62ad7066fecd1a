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
import static org.assertj.core.api.Assertions.within;

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
    void shouldScoreEveryBeamAsTheFullStepDoesWhileComputingOnlyItsNewToken() {
        // Histories of 2 requests; level 1 has 3 beams per request, level 2 has 4 whose parents
        // reorder and repeat level 1's: the cache must follow each beam's own parent.
        long[][] history = {
            {0, 0, 0, 0, 2 + 3, 258 + 4, 514 + 5, 770},
            {2 + 9, 258 + 8, 514 + 7, 771, 2, 258, 514, 770}
        };
        int[] level0 = {3, 9, 17, 40, 41, 200};
        int[] level1Parents = {2, 0, 2, 1, 1, 1, 0, 2};
        int[] level1 = {5, 6, 7, 8, 9, 10, 11, 12};
        try (DecoderSession session =
                DecoderSession.open(ModelBundle.load(DEFAULT_BUNDLE), ExecutionProvider.CPU, 1)) {
            assertThat(session.beamCache()).isTrue();
            int k = session.codebookSize();
            try (HistoryCache cache = session.encodeHistory(history);
                    DecoderSession.BeamCache start = session.decodeStart(cache)) {
                float[] full0 = session.decodeStep(cache, new long[] {1, 1}, 1, 1);
                assertClose(start.logProbs(), full0);
                long[] parents0 = new long[6];
                long[] tokens1 = new long[6];
                long[] full1 = new long[6 * 2];
                for (int i = 0; i < 6; i++) {
                    tokens1[i] = 2 + level0[i];
                    full1[i * 2] = 1;
                    full1[i * 2 + 1] = 2 + level0[i];
                }
                try (DecoderSession.BeamCache next1 =
                        session.decodeNext(cache, start, parents0, tokens1, 3)) {
                    assertClose(next1.logProbs(), session.decodeStep(cache, full1, 3, 2));
                    long[] parents1 = new long[8];
                    long[] tokens2 = new long[8];
                    long[] full2 = new long[8 * 3];
                    for (int i = 0; i < 8; i++) {
                        int r = i / 4;
                        int parent = level1Parents[i];
                        parents1[i] = parent;
                        tokens2[i] = 258 + level1[i];
                        full2[i * 3] = 1;
                        full2[i * 3 + 1] = 2 + level0[r * 3 + parent];
                        full2[i * 3 + 2] = 258 + level1[i];
                    }
                    try (DecoderSession.BeamCache next2 =
                            session.decodeNext(cache, next1, parents1, tokens2, 4)) {
                        float[] expected = session.decodeStep(cache, full2, 4, 3);
                        assertThat(next2.logProbs()).hasSize(2 * 4 * k);
                        assertClose(next2.logProbs(), expected);
                    }
                }
            }
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("value %d", i).isCloseTo(expected[i], within(1e-4f));
        }
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
