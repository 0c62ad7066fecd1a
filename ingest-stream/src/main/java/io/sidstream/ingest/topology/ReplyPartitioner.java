package io.sidstream.ingest.topology;

import io.sidstream.ingest.v1.SidConfirmation;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.util.Optional;
import java.util.Set;

/**
 * Writes each collision-code answer to the partition of the intake task that asked (carried in the
 * answer), not to "the partition of the item id": the item lives wherever its producer's
 * partitioner put it, and librdkafka's default (CRC32) differs from Java's (murmur2). Answers of
 * older builds, without a partition, fall back to the default key hash.
 */
final class ReplyPartitioner implements StreamPartitioner<String, SidConfirmation> {
    @Override
    public Optional<Set<Integer>> partitions(
            String topic, String key, SidConfirmation value, int numPartitions) {
        int partition = value == null ? -1 : value.getReplyPartition();
        if (partition < 0) {
            return Optional.empty();
        }
        if (partition >= numPartitions) {
            throw new IllegalStateException(
                    topic
                            + " has "
                            + numPartitions
                            + " partitions but the item's owner is partition "
                            + partition
                            + ": the confirmations topic must have as many partitions as its"
                            + " item input");
        }
        return Optional.of(Set.of(partition));
    }
}
