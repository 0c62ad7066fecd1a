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
    private static final Set<String> START_INPUTS = Set.of("past_keys", "past_values", "past_mask");
    private static final Set<String> NEXT_INPUTS =
            Set.of(
                    "past_keys",
                    "past_values",
                    "past_mask",
                    "beam_keys",
                    "beam_values",
                    "parents",
                    "new_tokens");
    private static final Set<String> CACHED_OUTPUTS =
            Set.of("log_probs", "next_beam_keys", "next_beam_values");

    private final OrtEnvironment env;
    private final OrtSession encode;
    private final OrtSession step;

    /** Contract v2's beam-token cache graphs; null when the bundle has none or they are off. */
    private final OrtSession start;

    private final OrtSession next;
    private final DecoderTraffic traffic = new DecoderTraffic();
    private final String provider;
    private final String fallbackReason;
    private final int codebookSize;

    private DecoderSession(
            OrtSession encode,
            OrtSession step,
            OrtSession start,
            OrtSession next,
            String provider,
            String fallbackReason,
            int codebookSize) {
        this.env = OrtEnvironment.getEnvironment();
        this.encode = encode;
        this.step = step;
        this.start = start;
        this.next = next;
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
        return open(bundle, provider, intraOpThreads, true);
    }

    /**
     * Like {@link #open(ModelBundle, ExecutionProvider, int)}; with {@code beamCache} false the
     * contract-v2 graphs of a bundle that has them are not opened (searches use {@code
     * decode_step}, as for a v1 bundle).
     */
    public static DecoderSession open(
            ModelBundle bundle, ExecutionProvider provider, int intraOpThreads, boolean beamCache) {
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
        OrtSession start = null;
        OrtSession next = null;
        try {
            if (beamCache && spec.hasBeamCache()) {
                start =
                        OrtSessions.DEFAULT
                                .open(
                                        bundle.file(spec.decodeStartFile()),
                                        stepProvider,
                                        intraOpThreads)
                                .session();
                next =
                        OrtSessions.DEFAULT
                                .open(
                                        bundle.file(spec.decodeNextFile()),
                                        stepProvider,
                                        intraOpThreads)
                                .session();
            }
        } catch (RuntimeException e) {
            closeQuietly(encode.session());
            closeQuietly(step.session());
            closeQuietly(start);
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
        if (start != null) {
            expectNames(spec.decodeStartFile(), start, START_INPUTS, CACHED_OUTPUTS, problems);
            expectNames(spec.decodeNextFile(), next, NEXT_INPUTS, CACHED_OUTPUTS, problems);
        }
        if (!problems.isEmpty()) {
            closeQuietly(encode.session());
            closeQuietly(step.session());
            closeQuietly(start);
            closeQuietly(next);
            throw new BundleException(bundle.directory(), problems);
        }
        return new DecoderSession(
                encode.session(),
                step.session(),
                start,
                next,
                step.provider(),
                encode.fallbackReason(),
                spec.codebookSize());
    }

    /** {@code "cuda"} or {@code "cpu"}: where the decoder actually runs. */
    public String executionProvider() {
        return provider;
    }

    /** Whether searches use contract v2's beam-token cache ({@code decode_start/next}). */
    public boolean beamCache() {
        return start != null;
    }

    /** Graph calls and the bytes they move, since this session opened. */
    public DecoderTraffic traffic() {
        return traffic;
    }

    /** Why CUDA was not used under {@code auto}, or {@code null}. */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** Encodes left-padded history tokens {@code [requests][T]} (all rows of equal length). */
    public HistoryCache encodeHistory(long[][] historyTokens) {
        int requests = historyTokens.length;
        int length = requests == 0 ? 0 : historyTokens[0].length;
        LongBuffer flat = flatten(historyTokens);
        try (OnnxTensor tokens =
                OnnxTensor.createTensor(env, flat, new long[] {requests, length})) {
            HistoryCache cache =
                    new HistoryCache(
                            encode.run(Map.of("history_tokens", tokens)), requests, length);
            traffic.call(
                    bytes(tokens), bytes(cache.keys) + bytes(cache.values) + bytes(cache.mask));
            return cache;
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
            traffic.call(
                    bytes(cache.keys) + bytes(cache.values) + bytes(cache.mask) + bytes(tokens),
                    4L * logProbs.length);
            if (logProbs.length != requests * beams * codebookSize) {
                throw wrongSize("decode_step", logProbs.length, requests, beams);
            }
            return logProbs;
        } catch (OrtException e) {
            throw new ModelException(
                    "decode_step failed for " + requests + "x" + beams + " beams", e);
        }
    }

    /**
     * Contract v2, first level: one beam (BOS) per request. Returns its log-probabilities [R, 1, K]
     * and the beam cache the next level extends; the caller closes it.
     */
    public BeamCache decodeStart(HistoryCache cache) {
        if (start == null) {
            throw new IllegalStateException("this session has no beam-cache graphs");
        }
        try {
            OrtSession.Result result =
                    start.run(
                            Map.of(
                                    "past_keys", cache.keys,
                                    "past_values", cache.values,
                                    "past_mask", cache.mask));
            return cached(result, cache, 0, cache.requests(), 1);
        } catch (OrtException e) {
            throw new ModelException(
                    "decode_start failed for " + cache.requests() + " requests", e);
        }
    }

    /**
     * Contract v2, later levels: beam w of request r extends beam {@code parents[r * beams + w]} of
     * {@code previous} with token {@code newTokens[r * beams + w]}. Returns the next level's
     * log-probabilities [R, beams, K] and the extended cache; closes nothing (the caller closes
     * {@code previous} once it is done with it).
     */
    public BeamCache decodeNext(
            HistoryCache cache, BeamCache previous, long[] parents, long[] newTokens, int beams) {
        int requests = cache.requests();
        if (parents.length != requests * beams || newTokens.length != requests * beams) {
            throw new IllegalArgumentException(
                    "parents and newTokens need " + requests + "*" + beams + " entries");
        }
        long[] shape = {requests, beams};
        try (OnnxTensor parentTensor =
                        OnnxTensor.createTensor(env, LongBuffer.wrap(parents), shape);
                OnnxTensor tokenTensor =
                        OnnxTensor.createTensor(env, LongBuffer.wrap(newTokens), shape)) {
            OrtSession.Result result =
                    next.run(
                            Map.of(
                                    "past_keys", cache.keys,
                                    "past_values", cache.values,
                                    "past_mask", cache.mask,
                                    "beam_keys", previous.keys,
                                    "beam_values", previous.values,
                                    "parents", parentTensor,
                                    "new_tokens", tokenTensor));
            return cached(
                    result,
                    cache,
                    bytes(previous.keys)
                            + bytes(previous.values)
                            + bytes(parentTensor)
                            + bytes(tokenTensor),
                    requests,
                    beams);
        } catch (OrtException e) {
            throw new ModelException(
                    "decode_next failed for " + requests + "x" + beams + " beams", e);
        }
    }

    private BeamCache cached(
            OrtSession.Result result, HistoryCache cache, long extraIn, int requests, int beams) {
        BeamCache out = new BeamCache(result);
        traffic.beamCacheCall();
        FloatBuffer buffer = out.logProbsTensor.getFloatBuffer();
        float[] logProbs = new float[buffer.remaining()];
        buffer.get(logProbs);
        out.logProbs = logProbs;
        traffic.call(
                bytes(cache.keys) + bytes(cache.values) + bytes(cache.mask) + extraIn,
                4L * logProbs.length + bytes(out.keys) + bytes(out.values));
        if (logProbs.length != requests * beams * codebookSize) {
            out.close();
            throw wrongSize("the beam-cache graph", logProbs.length, requests, beams);
        }
        return out;
    }

    private ModelException wrongSize(String graph, int values, int requests, int beams) {
        return new ModelException(
                graph
                        + " returned "
                        + values
                        + " values, expected "
                        + requests
                        + "*"
                        + beams
                        + "*"
                        + codebookSize);
    }

    /** One level's output of contract v2: log-probabilities and the beams' keys and values. */
    public static final class BeamCache implements AutoCloseable {
        private final OrtSession.Result result;
        private final OnnxTensor logProbsTensor;
        final OnnxTensor keys;
        final OnnxTensor values;
        private float[] logProbs;

        private BeamCache(OrtSession.Result result) {
            this.result = result;
            this.logProbsTensor = (OnnxTensor) result.get("log_probs").orElseThrow();
            this.keys = (OnnxTensor) result.get("next_beam_keys").orElseThrow();
            this.values = (OnnxTensor) result.get("next_beam_values").orElseThrow();
        }

        /** Row-major [R, beams, K]. */
        public float[] logProbs() {
            return logProbs;
        }

        @Override
        public void close() {
            result.close();
        }
    }

    /** Left-padded history tokens {@code [requests][T]} row-major, all rows of one length. */
    static LongBuffer flatten(long[][] historyTokens) {
        int length = historyTokens.length == 0 ? 0 : historyTokens[0].length;
        LongBuffer flat = LongBuffer.allocate(historyTokens.length * length);
        for (long[] row : historyTokens) {
            if (row.length != length) {
                throw new IllegalArgumentException(
                        "history rows must be left-padded to one length");
            }
            flat.put(row);
        }
        return flat.flip();
    }

    static long bytes(OnnxTensor tensor) {
        long n = 1;
        for (long d : tensor.getInfo().getShape()) {
            n *= d;
        }
        return switch (tensor.getInfo().type) {
            case INT64, DOUBLE -> n * 8;
            case UINT8, INT8, BOOL -> n;
            default -> n * 4;
        };
    }

    /** Codes per level K, the width of every log-probability row. */
    public int codebookSize() {
        return codebookSize;
    }

    @Override
    public void close() {
        closeQuietly(encode);
        closeQuietly(step);
        closeQuietly(start);
        closeQuietly(next);
    }

    static void expectNames(
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

    static void closeQuietly(OrtSession session) {
        if (session == null) {
            return;
        }
        try {
            session.close();
        } catch (OrtException e) {
            // Closing during failure handling: the original error is the one worth reporting.
        }
    }
}
