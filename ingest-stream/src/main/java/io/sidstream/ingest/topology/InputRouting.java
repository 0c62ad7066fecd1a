package io.sidstream.ingest.topology;

/**
 * How ingest-stream places input records (items by item id, interactions by user id) on its tasks.
 * Per-key state (an item's collision claims, a user's history) is correct only if every record of a
 * key reaches the same task, whichever client produced it.
 */
public enum InputRouting {
    /**
     * Re-key every input through an internal repartition topic with Kafka Streams' own partitioner,
     * so a key has one owner whatever partitioner each producer used (librdkafka's default CRC32
     * and Java's murmur2 disagree on most keys). Costs one more hop per record.
     */
    REPARTITION,
    /**
     * Trust the partition each record was produced to: correct only while every producer of a key
     * uses the same partitioner. Records whose partition differs from Java's murmur2 choice are
     * counted ({@code sidstream.ingest.input.misrouted}) and logged with the fix.
     */
    AS_PRODUCED,
    /**
     * Re-key every input as {@link #REPARTITION} does, but in a separate at-least-once Kafka
     * Streams application (application id {@code <id>-relay}) onto {@code <id>-<route>-relay}
     * topics. Its records are readable at once, not at the next commit of a transaction, so under
     * exactly_once_v2 an input crosses one commit interval fewer. The relay replays records after a
     * crash; each owner drops what it has applied by the record's source partition and offset, kept
     * in its own exactly-once state, so state and outputs stay exactly-once.
     */
    RELAY;

    /**
     * The topic a route's records cross on their way to the owners under this routing: {@code
     * <app>-<route>-repartition} (Kafka Streams' name for a named repartition) or {@code
     * <app>-<route>-relay}; AS_PRODUCED has none.
     */
    public String hopTopic(String applicationId, String route) {
        return switch (this) {
            case REPARTITION -> applicationId + "-" + route + "-repartition";
            case RELAY -> applicationId + "-" + route + "-relay";
            case AS_PRODUCED -> throw new IllegalStateException("AS_PRODUCED has no hop topic");
        };
    }
}
