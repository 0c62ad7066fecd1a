package io.sidstream.contracts;

import java.util.Locale;

/** Kafka's {@code cleanup.policy} for a topic. */
public enum CleanupPolicy {
    /** Segments are deleted after the retention period; for event streams. */
    DELETE,
    /** The latest record per key is kept forever; for tables such as item SIDs and histories. */
    COMPACT;

    /** The value Kafka expects in {@code cleanup.policy}. */
    public String configValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
