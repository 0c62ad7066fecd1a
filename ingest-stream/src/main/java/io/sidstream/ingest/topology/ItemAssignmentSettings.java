package io.sidstream.ingest.topology;

import java.time.Duration;

/**
 * Settings of the SID assignment topology.
 *
 * @param applicationId Kafka Streams application id (names internal topics, tags dead letters)
 * @param embedBatchSize items per model call; a full batch is embedded at once
 * @param embedMaxWait longest an accepted item waits for its batch to fill
 * @param maxBatchesPerPunctuation bound on model calls per punctuation, so a backlog (e.g. after
 *     restore) never keeps a stream thread from polling for long
 * @param maxTextChars items whose text is longer go to the dead-letter topic
 */
public record ItemAssignmentSettings(
        String applicationId,
        int embedBatchSize,
        Duration embedMaxWait,
        int maxBatchesPerPunctuation,
        int maxTextChars) {

    public ItemAssignmentSettings {
        if (embedBatchSize < 1 || maxBatchesPerPunctuation < 1 || maxTextChars < 1) {
            throw new IllegalArgumentException("batch sizes and limits must be >= 1");
        }
        if (embedMaxWait.isNegative() || embedMaxWait.isZero()) {
            throw new IllegalArgumentException("embedMaxWait must be positive");
        }
    }

    /** Topic that carries collision-code answers back to the item owners. */
    public String confirmationsTopic() {
        return applicationId + "-sid-confirmations";
    }
}
