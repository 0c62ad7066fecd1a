package io.sidstream.platform.errors;

/**
 * Where a record was read: enough to find the full original in its source topic while retention
 * keeps it. Partition and offset are -1 when unknown (a record produced from a punctuation).
 */
public record Provenance(String topic, int partition, long offset) {
    public Provenance {
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("provenance needs a source topic");
        }
    }

    /** A record of this topic whose partition and offset are unknown. */
    public static Provenance unknown(String topic) {
        return new Provenance(topic, -1, -1L);
    }
}
