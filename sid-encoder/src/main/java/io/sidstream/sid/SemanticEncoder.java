package io.sidstream.sid;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Item content in, L semantic codes out: what SID assignment needs from a model. {@link
 * SidAssigner} is the ONNX implementation; tests pass fakes to make model failures, full prefixes
 * or a chosen prefix layout happen on demand. Collision codes are not its business: they depend on
 * which other items are live and are decided by ingest-stream.
 *
 * <p>Implementations are thread-safe.
 */
public interface SemanticEncoder extends AutoCloseable {
    /** The bundle version stamped on every SID. */
    String modelVersion();

    /** Semantic levels L. */
    int levels();

    /** Codes per level K. */
    int codebookSize();

    /** Collision codes available per L-level prefix. */
    int collisionCodes();

    /** Dimension a provided vector must have. */
    int embeddingDimension();

    /**
     * The L semantic codes of each item, in input order. Callers validate vectors (dimension,
     * finite values) first.
     *
     * @throws RuntimeException when the model fails on the batch
     */
    int[][] semanticCodes(List<ItemContent> items);

    /**
     * Tokens of a full SID (semantic codes + collision code) for each of the bundle's ranker
     * tokenizers, by tokenizer name; empty when the bundle ships none.
     */
    default Map<String, List<Integer>> rankerTokens(List<Integer> sid) {
        return Map.of();
    }

    /**
     * A digest of the content and the model version: equal digests mean the item would get the same
     * semantic codes again, so re-listing it changes nothing.
     */
    default String contentHash(ItemContent content) {
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
    void close();
}
