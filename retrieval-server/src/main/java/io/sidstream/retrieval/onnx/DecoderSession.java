package io.sidstream.retrieval.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.model.onnx.OrtSessions;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a bundle's two decoder graphs: {@code encode_history} once per batch of requests, then
 * {@code decode_step} once per SID level for all beams of those requests. See {@code
 * training/CONTRACT.md} for names, shapes and token layout.
 *
 * <p>Thread-safe (ONNX Runtime sessions are); each {@link HistoryCache} belongs to one caller. Owns
 * two native sessions; close it.
 */
public final class DecoderSession implements AutoCloseable {
    private static final Set<String> ENCODE_INPUTS = Set.of("history_tokens");
    private static final Set<String> ENCODE_OUTPUTS =
            Set.of("past_keys", "past_values", "past_mask");
    private static final Set<String> STEP_INPUTS =
            Set.of("past_keys", "past_values", "past_mask", "beam_tokens");
    private static final Set<String> STEP_OUTPUTS = Set.of("log_probs");

    private final OrtEnvironment env;
    private final OrtSession encode;
    private final OrtSession step;
    private final String provider;
    private final String fallbackReason;
    private final int codebookSize;

    private DecoderSession(
            OrtSession encode,
            OrtSession step,
            String provider,
            String fallbackReason,
            int codebookSize) {
        this.env = OrtEnvironment.getEnvironment();
        this.encode = encode;
        this.step = step;
        this.provider = provider;
        this.fallbackReason = fallbackReason;
        this.codebookSize = codebookSize;
    }

    /**
     * Opens both graphs of a verified bundle and checks them against the contract.
     *
     * @throws ModelException when {@code cuda} is required but unavailable
     * @throws BundleException when a graph's inputs or outputs differ from the contract
     */
    public static DecoderSession open(
            ModelBundle bundle, ExecutionProvider provider, int intraOpThreads) {
        BundleManifest.Decoder spec = bundle.manifest().decoder();
        OrtSessions.Opened encode =
                OrtSessions.DEFAULT.open(
                        bundle.file(spec.encodeHistoryFile()), provider, intraOpThreads);
        // The step graph follows wherever the history graph landed, so caches never cross devices.
        ExecutionProvider stepProvider =
                encode.provider().equals("cuda") ? ExecutionProvider.CUDA : ExecutionProvider.CPU;
        OrtSessions.Opened step;
        try {
            step =
                    OrtSessions.DEFAULT.open(
                            bundle.file(spec.decodeStepFile()), stepProvider, intraOpThreads);
        } catch (RuntimeException e) {
            closeQuietly(encode.session());
            throw e;
        }
        List<String> problems = new ArrayList<>();
        expectNames(
                spec.encodeHistoryFile(),
                encode.session(),
                ENCODE_INPUTS,
                ENCODE_OUTPUTS,
                problems);
        expectNames(spec.decodeStepFile(), step.session(), STEP_INPUTS, STEP_OUTPUTS, problems);
        if (!problems.isEmpty()) {
            closeQuietly(encode.session());
            closeQuietly(step.session());
            throw new BundleException(bundle.directory(), problems);
        }
        return new DecoderSession(
                encode.session(),
                step.session(),
                step.provider(),
                encode.fallbackReason(),
                spec.codebookSize());
    }

    /** {@code "cuda"} or {@code "cpu"}: where the decoder actually runs. */
    public String executionProvider() {
        return provider;
    }

    /** Why CUDA was not used under {@code auto}, or {@code null}. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** Encodes left-padded history tokens {@code [requests][T]} (all rows of equal length). */
    public HistoryCache encodeHistory(long[][] historyTokens) {
        int requests = historyTokens.length;
        int length = requests == 0 ? 0 : historyTokens[0].length;
        LongBuffer flat = LongBuffer.allocate(requests * length);
        for (long[] row : historyTokens) {
            if (row.length != length) {
                throw new IllegalArgumentException(
                        "history rows must be left-padded to one length");
            }
            flat.put(row);
        }
        flat.flip();
        try (OnnxTensor tokens =
                OnnxTensor.createTensor(env, flat, new long[] {requests, length})) {
            return new HistoryCache(encode.run(Map.of("history_tokens", tokens)), requests, length);
        } catch (OrtException e) {
            throw new ModelException("encode_history failed for " + requests + " requests", e);
        }
    }

    /**
     * One beam step: {@code beamTokens} holds {@code requests * beams * steps} token ids (BOS then
     * the tokens of the codes chosen so far) in row-major [R, W, S] order. Returns the next level's
     * log-probabilities, row-major [R, W, K].
     */
    public float[] decodeStep(HistoryCache cache, long[] beamTokens, int beams, int steps) {
        int requests = cache.requests();
        if (beamTokens.length != requests * beams * steps) {
            throw new IllegalArgumentException(
                    "beamTokens has "
                            + beamTokens.length
                            + " ids, expected "
                            + requests
                            + "*"
                            + beams
                            + "*"
                            + steps);
        }
        try (OnnxTensor tokens =
                        OnnxTensor.createTensor(
                                env,
                                LongBuffer.wrap(beamTokens),
                                new long[] {requests, beams, steps});
                OrtSession.Result result =
                        step.run(
                                Map.of(
                                        "past_keys", cache.keys,
                                        "past_values", cache.values,
                                        "past_mask", cache.mask,
                                        "beam_tokens", tokens))) {
            FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] logProbs = new float[out.remaining()];
            out.get(logProbs);
            if (logProbs.length != requests * beams * codebookSize) {
                throw new ModelException(
                        "decode_step returned "
                                + logProbs.length
                                + " values, expected "
                                + requests
                                + "*"
                                + beams
                                + "*"
                                + codebookSize);
            }
            return logProbs;
        } catch (OrtException e) {
            throw new ModelException(
                    "decode_step failed for " + requests + "x" + beams + " beams", e);
        }
    }

    /** Codes per level K, the width of every log-probability row. */
    public int codebookSize() {
        return codebookSize;
    }

    @Override
    public void close() {
        closeQuietly(encode);
        closeQuietly(step);
    }

    private static void expectNames(
            String file,
            OrtSession session,
            Set<String> inputs,
            Set<String> outputs,
            List<String> problems) {
        if (!session.getInputNames().equals(inputs)) {
            problems.add(
                    file
                            + " inputs are "
                            + session.getInputNames()
                            + ", the contract says "
                            + inputs);
        }
        if (!session.getOutputNames().containsAll(outputs)) {
            problems.add(
                    file
                            + " outputs are "
                            + session.getOutputNames()
                            + ", the contract says "
                            + outputs);
        }
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // Closing during failure handling: the original error is the one worth reporting.
        }
    }
}
