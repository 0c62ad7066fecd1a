package io.sidstream.contracts.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A well-framed record whose writer-schema fingerprint matches no known version of the type: the
 * producer is newer or foreign. Typed, so readers classify it without parsing messages.
 */
public class UnknownSchemaException extends SerializationException {
    private static final long serialVersionUID = 1L;

    public UnknownSchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
