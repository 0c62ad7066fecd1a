package io.sidstream.sid;

import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.tokens.RankerTokenizers;
import io.sidstream.model.tokens.SidTokenizer;
import io.sidstream.sid.embed.SentenceEmbedder;
import io.sidstream.sid.onnx.EncodedBatch;
import io.sidstream.sid.onnx.RqVaeEncoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The ONNX {@link SemanticEncoder}: text through the bundle's sentence encoder, then every vector
 * through its RQ-VAE encoder.
 *
 * <p>Load once per process and share: thread-safe. Owns native ONNX Runtime sessions; close it.
 */
public final class SidAssigner implements SemanticEncoder {
    private final ModelBundle bundle;
    private final SentenceEmbedder embedder;
    private final RqVaeEncoder encoder;
    private final List<SidTokenizer> rankerTokenizers;

    private SidAssigner(
            ModelBundle bundle,
            SentenceEmbedder embedder,
            RqVaeEncoder encoder,
            List<SidTokenizer> rankerTokenizers) {
        this.bundle = bundle;
        this.embedder = embedder;
        this.encoder = encoder;
        this.rankerTokenizers = rankerTokenizers;
    }

    /** The bundle's ranker tokenizers applied to {@code sid}. */
    @Override
    public Map<String, List<Integer>> rankerTokens(List<Integer> sid) {
        return RankerTokenizers.tokenize(rankerTokenizers, sid);
    }

    /**
     * Opens the models of a verified bundle.
     *
     * @param intraOpThreads ONNX Runtime threads per session, 0 for its default
     * @throws BundleException when the bundle was trained on another embedding model
     */
    public static SidAssigner open(ModelBundle bundle, int intraOpThreads) {
        var embedding = bundle.manifest().embedding();
        if (!SentenceEmbedder.MODEL_ID.equals(embedding.modelId())
                || embedding.dim() != SentenceEmbedder.DIMENSION) {
            throw new BundleException(
                    bundle.directory(),
                    List.of(
                            "bundle expects embedding model "
                                    + embedding.modelId()
                                    + " ("
                                    + embedding.dim()
                                    + "-d), this build embeds with "
                                    + SentenceEmbedder.MODEL_ID
                                    + " ("
                                    + SentenceEmbedder.DIMENSION
                                    + "-d)"));
        }
        // Tokenizers first: a bad one fails the start before any model session is open.
        List<SidTokenizer> tokenizers;
        try {
            tokenizers = RankerTokenizers.of(bundle);
        } catch (IllegalArgumentException e) {
            throw new BundleException(bundle.directory(), List.of(e.getMessage()));
        }
        RankerTokenizers.Parity parity = RankerTokenizers.check(bundle, tokenizers);
        if (!parity.passed()) {
            throw new BundleException(
                    bundle.directory(),
                    List.of("ranker tokenizer parity failed: " + parity.mismatches()));
        }
        RqVaeEncoder encoder = RqVaeEncoder.open(bundle, intraOpThreads);
        try {
            return new SidAssigner(
                    bundle, SentenceEmbedder.load(intraOpThreads), encoder, tokenizers);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /**
     * The SID space stamped on every SID ({@link ModelBundle#sidSpace}): a decoder-only update
     * assigns the same SIDs under the same name, so nothing is assigned again.
     */
    @Override
    public String modelVersion() {
        return bundle.sidSpace();
    }

    /** Semantic levels L. */
    @Override
    public int levels() {
        return encoder.levels();
    }

    /** Codes per level K. */
    @Override
    public int codebookSize() {
        return bundle.manifest().sid().codebookSize();
    }

    /** Collision codes available per L-level prefix. */
    @Override
    public int collisionCodes() {
        return bundle.manifest().sid().collisionCodes();
    }

    /** Dimension a provided vector must have. */
    @Override
    public int embeddingDimension() {
        return encoder.dimension();
    }

    /**
     * The L semantic codes of each item, in input order. Texts are embedded in one batch; callers
     * validate vectors (dimension, finite values) first.
     */
    @Override
    public int[][] semanticCodes(List<ItemContent> items) {
        List<String> texts = new ArrayList<>();
        for (ItemContent item : items) {
            if (!item.isVector()) {
                texts.add(item.text());
            }
        }
        float[][] embedded = embedder.embed(texts);
        float[][] vectors = new float[items.size()][];
        int t = 0;
        for (int i = 0; i < items.size(); i++) {
            vectors[i] = items.get(i).isVector() ? items.get(i).vectorNoCopy() : embedded[t++];
        }
        EncodedBatch batch = encoder.encode(vectors);
        int[][] codes = new int[items.size()][];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = batch.codes(i);
        }
        return codes;
    }

    @Override
    public void close() {
        try {
            embedder.close();
        } finally {
            encoder.close();
        }
    }
}
