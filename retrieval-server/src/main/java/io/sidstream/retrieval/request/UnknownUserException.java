package io.sidstream.retrieval.request;

/** A request names a user whose history ingest-stream does not hold. */
public final class UnknownUserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnknownUserException(String userId) {
        super("user " + userId + " has no stored history");
    }
}
