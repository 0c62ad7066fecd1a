package io.sidstream.retrieval.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.model.bundle.ModelException;

/**
 * The per-layer keys and values of a batch of encoded histories: computed once per request batch by
 * {@link DecoderSession#encodeHistory} and reused by every beam step. Owns native tensors; close it
 * when the search is done. Not thread-safe.
 */
public final class HistoryCache implements AutoCloseable {
    private final OrtSession.Result result;
    final OnnxTensor keys;
    final OnnxTensor values;
    final OnnxTensor mask;
    private final int requests;
    private final int length;

    HistoryCache(OrtSession.Result result, int requests, int length) {
        this.result = result;
        this.keys = (OnnxTensor) result.get("past_keys").orElseThrow();
        this.values = (OnnxTensor) result.get("past_values").orElseThrow();
        this.mask = (OnnxTensor) result.get("past_mask").orElseThrow();
        this.requests = requests;
        this.length = length;
    }

    /** Number of requests R encoded. */
    public int requests() {
        return requests;
    }

    /** History length T in tokens (after left padding). */
    public int length() {
        return length;
    }

    /** The additive attention mask [R, T] (0 for real tokens, a large negative for padding). */
    public float[][] mask() {
        try {
            return (float[][]) mask.getValue();
        } catch (OrtException e) {
            throw new ModelException("cannot read the history mask", e);
        }
    }

    @Override
    public void close() {
        result.close();
    }
}
