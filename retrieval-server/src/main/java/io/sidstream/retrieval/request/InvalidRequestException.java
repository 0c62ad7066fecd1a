package io.sidstream.retrieval.request;

/** A request that breaks the server's limits or the SID shape: a 400, or a dead letter. */
public final class InvalidRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }
}
