package io.sidstream.platform;

/**
 * Base of sidstream's unchecked exceptions, so callers can tell our failures (bad model bundle,
 * model runtime error, invalid configuration) from library and JVM ones.
 */
public class SidstreamException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SidstreamException(String message) {
        super(message);
    }

    public SidstreamException(String message, Throwable cause) {
        super(message, cause);
    }
}
