package io.sidstream.platform;

/**
 * A failure that may pass if the same work is tried again (a peer restarting, a network blip): the
 * caller retries with backoff and does not commit, and never dead-letters the input for it.
 */
public class TransientException extends SidstreamException {
    private static final long serialVersionUID = 1L;

    public TransientException(String message) {
        super(message);
    }

    public TransientException(String message, Throwable cause) {
        super(message, cause);
    }
}
