package io.sidstream.model.bundle;

import io.sidstream.platform.SidstreamException;

/** A model could not be loaded or run; wraps ONNX Runtime's checked {@code OrtException}. */
public final class ModelException extends SidstreamException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
