package io.sidstream.ingest.errors;

import io.sidstream.platform.errors.DecodeFailure;

/** Why an input record went to a dead-letter topic; the {@code errorClass} of the DeadLetter. */
public enum RejectReason {
    /** The value is not an Avro single-object encoded record of the topic's type. */
    UNDECODABLE,
    /** The value's schema fingerprint is of no known version of the type (newer producer?). */
    UNKNOWN_SCHEMA_VERSION,
    /** No record key, or an item/user id that is blank. */
    MISSING_ID,
    /** The record key differs from the id inside the value. */
    KEY_MISMATCH,
    /** Neither text (title) nor a content embedding to compute a SID from. */
    NO_CONTENT,
    /** The embedded text exceeds the configured bound. */
    TEXT_TOO_LONG,
    /** A provided embedding has a dimension other than the model bundle's. */
    EMBEDDING_DIMENSION,
    /** A provided embedding holds NaN or infinite values. */
    NON_FINITE_EMBEDDING,
    /** The model failed on this record even when run alone. */
    MODEL_FAILURE,
    /** Every collision code of the item's SID prefix is held by a live item. */
    PREFIX_FULL,
    /** An interaction without an item id. */
    MISSING_ITEM_ID,
    /** An interaction whose event time lies beyond the allowed clock skew in the future. */
    FUTURE_EVENT,
    /** An interaction older than its user's lateness bound when it arrived. */
    TOO_LATE,
    /** An interaction whose item got no SID within the pending timeout. */
    SID_TIMEOUT;

    /** The reasons an item event or claim is dead-lettered for. */
    public static final RejectReason[] ITEM_REASONS = {
        UNDECODABLE,
        UNKNOWN_SCHEMA_VERSION,
        MISSING_ID,
        KEY_MISMATCH,
        NO_CONTENT,
        TEXT_TOO_LONG,
        EMBEDDING_DIMENSION,
        NON_FINITE_EMBEDDING,
        MODEL_FAILURE,
        PREFIX_FULL
    };

    /** The reasons an interaction is dead-lettered for. */
    public static final RejectReason[] INTERACTION_REASONS = {
        UNDECODABLE,
        UNKNOWN_SCHEMA_VERSION,
        MISSING_ID,
        KEY_MISMATCH,
        MISSING_ITEM_ID,
        FUTURE_EVENT,
        TOO_LATE,
        SID_TIMEOUT
    };

    /** The reason for a record that could not be decoded. */
    public static RejectReason of(DecodeFailure failure) {
        return switch (failure) {
            case UNDECODABLE -> UNDECODABLE;
            case UNKNOWN_SCHEMA_VERSION -> UNKNOWN_SCHEMA_VERSION;
        };
    }
}
