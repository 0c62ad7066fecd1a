package io.sidstream.model.onnx;

import ai.onnxruntime.OrtException;
import io.sidstream.model.bundle.ModelException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The CUDA/CPU policy, tested without a GPU by injecting how CUDA is attached: "CUDA is not here"
 * falls back to the CPU under auto and records why; any other failure is not papered over.
 */
class OrtSessionsTest {
    private static final Path MODEL = Path.of("..", "models", "default", "rqvae_encoder.onnx");

    @Test
    void shouldFallBackToTheCpuWhenCudaIsUnavailableUnderAuto() throws Exception {
        OrtSessions sessions =
                new OrtSessions(
                        options -> {
                            throw new OrtException(
                                    OrtException.OrtErrorCode.ORT_EP_FAIL,
                                    "Failed to find CUDA shared provider");
                        });
        OrtSessions.Opened opened = sessions.open(MODEL, ExecutionProvider.AUTO, 1);
        try (var session = opened.session()) {
            assertThat(opened.provider()).isEqualTo("cpu");
            assertThat(opened.fallbackReason()).contains("CUDA shared provider");
            assertThat(session.getInputNames()).isNotEmpty();
        }
    }

    @Test
    void shouldFailInsteadOfFallingBackOnAFailureTheCpuWouldShare() {
        OrtSessions sessions =
                new OrtSessions(
                        options -> {
                            throw new OrtException(
                                    OrtException.OrtErrorCode.ORT_INVALID_GRAPH,
                                    "node 17: unsupported operator");
                        });
        assertThatThrownBy(() -> sessions.open(MODEL, ExecutionProvider.AUTO, 1))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("unsupported operator");
    }

    @Test
    void shouldRefuseToRunWithoutCudaWhenCudaIsRequired() {
        OrtSessions sessions =
                new OrtSessions(
                        options -> {
                            throw new OrtException(
                                    OrtException.OrtErrorCode.ORT_EP_FAIL, "no CUDA device");
                        });
        assertThatThrownBy(() -> sessions.open(MODEL, ExecutionProvider.CUDA, 1))
                .isInstanceOf(ModelException.class)
                .hasMessageContaining("execution-provider=cuda but CUDA is unavailable");
    }

    @Test
    void shouldNeverTryCudaUnderCpu() throws Exception {
        OrtSessions sessions =
                new OrtSessions(
                        options -> {
                            throw new AssertionError("CUDA attached under cpu");
                        });
        try (var session = sessions.open(MODEL, ExecutionProvider.CPU, 1).session()) {
            assertThat(session.getOutputNames()).isNotEmpty();
        }
    }

    @Test
    void shouldClassifyCudaFailuresByCodeAndMessage() {
        assertThat(
                        OrtSessions.isCudaUnavailable(
                                new OrtException(OrtException.OrtErrorCode.ORT_EP_FAIL, "x")))
                .isTrue();
        assertThat(
                        OrtSessions.isCudaUnavailable(
                                new OrtException(
                                        OrtException.OrtErrorCode.ORT_FAIL,
                                        "libcublasLt.so.12: cannot open shared object file")))
                .isTrue();
        assertThat(
                        OrtSessions.isCudaUnavailable(
                                new OrtException(
                                        OrtException.OrtErrorCode.ORT_INVALID_GRAPH, "bad graph")))
                .isFalse();
    }
}
