package io.sidstream.platform.errors;

/** Why a record's bytes could not be read as its topic's type; the letter's {@code errorClass}. */
public enum DecodeFailure {
    /** Not an Avro single-object encoded record of the topic's type, or corrupt or truncated. */
    UNDECODABLE,
    /** Well framed, but the schema fingerprint is of no known version (newer producer?). */
    UNKNOWN_SCHEMA_VERSION
}
