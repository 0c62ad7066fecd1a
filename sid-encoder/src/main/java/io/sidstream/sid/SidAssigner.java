package io.sidstream.sid;

import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.sid.embed.SentenceEmbedder;
import io.sidstream.sid.onnx.EncodedBatch;
import io.sidstream.sid.onnx.RqVaeEncoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The model-facing API of SID assignment: item content in, L semantic codes out, through the
 * bundle's sentence encoder (for text) and RQ-VAE encoder. Collision codes are not its business:
 * they depend on which other items are live and are decided by ingest-stream.
 *
 * <p>Load once per process and share: thread-safe. Owns native ONNX Runtime sessions; close it.
 */
public final class SidAssigner implements AutoCloseable {
    private final ModelBundle bundle;
    private final SentenceEmbedder embedder;
    private final RqVaeEncoder encoder;

    private SidAssigner(ModelBundle bundle, SentenceEmbedder embedder, RqVaeEncoder encoder) {
        this.bundle = bundle;
        this.embedder = embedder;
        this.encoder = encoder;
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
        RqVaeEncoder encoder = RqVaeEncoder.open(bundle, intraOpThreads);
        try {
            return new SidAssigner(bundle, SentenceEmbedder.load(intraOpThreads), encoder);
        } catch (RuntimeException e) {
            encoder.close();
            throw e;
        }
    }

    /** The bundle version stamped on every SID. */
    public String modelVersion() {
        return bundle.version();
    }

    /** Semantic levels L. */
    public int levels() {
        return encoder.levels();
    }

    /** Codes per level K. */
    public int codebookSize() {
        return bundle.manifest().sid().codebookSize();
    }

    /** Collision codes available per L-level prefix. */
    public int collisionCodes() {
        return bundle.manifest().sid().collisionCodes();
    }

    /** Dimension a provided vector must have. */
    public int embeddingDimension() {
        return encoder.dimension();
    }

    /**
     * The L semantic codes of each item, in input order. Texts are embedded in one batch; callers
     * validate vectors (dimension, finite values) first.
     */
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

    /**
     * A digest of the content and the model version: equal digests mean the item would get the same
     * semantic codes again, so re-listing it changes nothing.
     */
    public String contentHash(ItemContent content) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
        digest.update(modelVersion().getBytes(StandardCharsets.UTF_8));
        if (content.isVector()) {
            float[] v = content.vectorNoCopy();
            ByteBuffer bytes = ByteBuffer.allocate(1 + 4 * v.length).put((byte) 'v');
            for (float x : v) {
                bytes.putFloat(x);
            }
            digest.update(bytes.array());
        } else {
            digest.update((byte) 't');
            digest.update(content.text().getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 16);
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
