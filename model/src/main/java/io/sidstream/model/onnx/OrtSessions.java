package io.sidstream.model.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.model.bundle.ModelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place ONNX Runtime sessions are opened, with one CUDA/CPU policy for every model.
 *
 * <p>CUDA is detected by trying it ({@code getAvailableProviders()} lists CUDA whenever the GPU
 * build is on the classpath, GPU or not). Under {@link ExecutionProvider#AUTO} only a failure that
 * {@link #isCudaUnavailable classifies} as "CUDA is not here" falls back to the CPU, logged once
 * with its reason; any other failure (a broken graph, say) fails the same way on every provider and
 * is reported as such. Under {@link ExecutionProvider#CUDA} every CUDA failure is fatal.
 *
 * <p>The way CUDA is attached is injectable, so the fallback policy is testable without a GPU.
 */
public final class OrtSessions {
    private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);

    /** Attaches the CUDA provider to session options. */
    @FunctionalInterface
    public interface CudaAttach {
        void attach(OrtSession.SessionOptions options) throws OrtException;
    }

    /** The production factory: CUDA device 0. */
    public static final OrtSessions DEFAULT = new OrtSessions(options -> options.addCUDA(0));

    private final CudaAttach cuda;

    public OrtSessions(CudaAttach cuda) {
        this.cuda = cuda;
    }

    /** An open session and the provider it actually runs on ({@code "cuda"} or {@code "cpu"}). */
    public record Opened(OrtSession session, String provider, String fallbackReason) {}

    /** Opens a model file. */
    public Opened open(Path model, ExecutionProvider requested, int intraOpThreads) {
        return open(
                new Source(model.getFileName().toString(), model, null), requested, intraOpThreads);
    }

    /** Opens a model held in memory (a classpath resource). */
    public Opened open(byte[] model, String name, ExecutionProvider requested, int intraOpThreads) {
        return open(new Source(name, null, model), requested, intraOpThreads);
    }

    private record Source(String name, Path file, byte[] bytes) {
        OrtSession create(OrtEnvironment env, OrtSession.SessionOptions options)
                throws OrtException {
            return file != null
                    ? env.createSession(file.toString(), options)
                    : env.createSession(bytes, options);
        }
    }

    private Opened open(Source model, ExecutionProvider requested, int intraOpThreads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String fallbackReason = null;
        if (requested != ExecutionProvider.CPU) {
            try (OrtSession.SessionOptions options = options(intraOpThreads)) {
                cuda.attach(options);
                return new Opened(model.create(env, options), "cuda", null);
            } catch (OrtException | RuntimeException e) {
                if (requested == ExecutionProvider.CUDA) {
                    throw new ModelException(
                            "execution-provider=cuda but CUDA is unavailable for "
                                    + model.name()
                                    + ": "
                                    + e.getMessage()
                                    + " (use the onnxruntime_gpu build, -Pgpu, on a host with an"
                                    + " NVIDIA GPU, CUDA 12 and cuDNN 9; or set auto/cpu)",
                            e);
                }
                if (!isCudaUnavailable(e)) {
                    throw new ModelException(
                            "cannot open " + model.name() + " with CUDA: " + e.getMessage(), e);
                }
                fallbackReason = firstLine(e.getMessage());
                // Expected with `auto` on a machine without a GPU: it is the documented fallback.
                LOG.info(
                        "CUDA unavailable, model runs on CPU model={} reason={}",
                        model.name(),
                        fallbackReason);
            }
        }
        try (OrtSession.SessionOptions options = options(intraOpThreads)) {
            return new Opened(model.create(env, options), "cpu", fallbackReason);
        } catch (OrtException e) {
            throw new ModelException("cannot open " + model.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether a failure to use CUDA means "no usable CUDA here" (no provider library, no driver, no
     * device), after which the CPU is the right answer, as opposed to a failure the CPU would hit
     * too.
     */
    public static boolean isCudaUnavailable(Throwable e) {
        if (e instanceof OrtException ort
                && ort.getCode() == OrtException.OrtErrorCode.ORT_EP_FAIL) {
            return true;
        }
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return message.contains("cuda")
                || message.contains("cudnn")
                || message.contains("libcu")
                || message.contains("shared library")
                || message.contains("shared provider")
                || message.contains("no kernel image")
                || message.contains("driver");
    }

    private static OrtSession.SessionOptions options(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // Every search alternates between sessions (encode, then one graph per level), each with
        // its own intra-op pool. Pool threads that spin after a run steal the cores the next
        // session needs: on 2 cores, beam 256 took 90-140 ms spinning and 55 ms without.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
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
