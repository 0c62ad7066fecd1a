package io.sidstream.retrieval.batch;

import io.sidstream.platform.TransientException;

/** The search queue is full: the request was refused at once rather than queued without bound. */
public final class OverloadedException extends TransientException {
    private static final long serialVersionUID = 1L;

    public OverloadedException(String message) {
        super(message);
    }
}
