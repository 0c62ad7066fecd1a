package io.sidstream.retrieval.onnx;

import io.sidstream.retrieval.request.InvalidRequestException;
import io.sidstream.retrieval.request.TextSteering;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SemanticEncoder;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A sentence's semantic codes from the bundle's own item encoder (MiniLM, then the RQ-VAE), so a
 * query lands where items with that text would. Recent sentences are cached: a dashboard or a
 * client repeats the same few.
 */
public final class SentenceSteering implements TextSteering, AutoCloseable {
    private static final int CACHE = 1_024;

    private final SemanticEncoder encoder;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    public SentenceSteering(SemanticEncoder encoder) {
        this.encoder = encoder;
    }

    @Override
    public int[] codes(String sentence) {
        int[] known = cache.get(sentence);
        if (known != null) {
            return known.clone();
        }
        int[] codes;
        try {
            codes = encoder.semanticCodes(List.of(ItemContent.ofText(sentence)))[0];
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("query cannot be encoded: " + e.getMessage());
        }
        if (cache.size() >= CACHE) {
            cache.clear();
        }
        cache.put(sentence, codes.clone());
        return codes;
    }

    @Override
    public void close() {
        try {
            encoder.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the sentence encoder failed", e);
        }
    }
}
