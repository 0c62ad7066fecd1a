package io.sidstream.retrieval.batch;

import io.sidstream.platform.TransientException;

/** A request's deadline passed while it waited: it was dropped unsearched, nobody waits for it. */
public final class DeadlineExceededException extends TransientException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String message) {
        super(message);
    }
}
