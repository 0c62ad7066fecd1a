package io.sidstream.ingest;

import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.platform.kafka.TopicAdmin;

/**
 * The catalogue's topic names are fixed, so the ITs of this module share them on the run-wide
 * broker: each creates what is still missing, with 4 partitions.
 */
final class SharedTopics {
    private SharedTopics() {}

    static void ensure(KafkaCluster cluster) {
        try (var admin = cluster.admin()) {
            TopicAdmin.createMissing(
                    admin,
                    IngestService.REQUIRED_TOPICS.stream()
                            .map(t -> t.toNewTopic(4, (short) 1))
                            .toList());
        }
    }
}
