package io.sidstream.retrieval.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.schemas.bundle.ModelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Opens ONNX Runtime sessions on the requested execution provider. CUDA is detected by trying it
 * ({@code getAvailableProviders()} lists CUDA whenever the GPU build is on the classpath, GPU or
 * not). With {@link ExecutionProvider#AUTO} a failure falls back to the CPU and is logged once with
 * its reason; with {@link ExecutionProvider#CUDA} it is fatal.
 */
final class SessionFactory {
    private static final Logger LOG = LoggerFactory.getLogger(SessionFactory.class);

    /** An open session and the provider it actually runs on ({@code "cuda"} or {@code "cpu"}). */
    record Opened(OrtSession session, String provider, String fallbackReason) {}

    private SessionFactory() {}

    static Opened open(Path model, ExecutionProvider requested, int intraOpThreads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String fallbackReason = null;
        if (requested != ExecutionProvider.CPU) {
            try (OrtSession.SessionOptions options = options(intraOpThreads)) {
                options.addCUDA(0);
                return new Opened(env.createSession(model.toString(), options), "cuda", null);
            } catch (OrtException | RuntimeException e) {
                if (requested == ExecutionProvider.CUDA) {
                    throw new ModelException(
                            "execution-provider=cuda but CUDA is unavailable for "
                                    + model.getFileName()
                                    + ": "
                                    + e.getMessage()
                                    + " (use the onnxruntime_gpu build, -Pgpu, on a host with an"
                                    + " NVIDIA GPU, CUDA 12 and cuDNN 9; or set auto/cpu)",
                            e);
                }
                fallbackReason = e.getMessage();
                // Expected with `auto` on a machine without a GPU: it is the documented fallback.
                LOG.info(
                        "CUDA unavailable, decoder runs on CPU model={} reason={}",
                        model.getFileName(),
                        firstLine(fallbackReason));
            }
        }
        try (OrtSession.SessionOptions options = options(intraOpThreads)) {
            return new Opened(env.createSession(model.toString(), options), "cpu", fallbackReason);
        } catch (OrtException e) {
            throw new ModelException("cannot open " + model, e);
        }
    }

    private static OrtSession.SessionOptions options(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            options.setIntraOpNumThreads(intraOpThreads);
        }
        return options;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
