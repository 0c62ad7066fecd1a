package io.sidstream.ingest;

import io.sidstream.ingest.topology.RelayTopology;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The relay's client settings that its owners' de-duplication relies on: what it delivers from a
 * source partition is always a prefix of what it sent (see {@link IngestService#relayProperties}).
 */
class RelayPropertiesTest {

    @Test
    void shouldRunAtLeastOnceInItsOwnApplicationWithAProducerThatLeavesNoGap() {
        Properties relay =
                IngestService.relayProperties(
                        IngestConfig.fromEnv(Map.of("SIDSTREAM_INGEST_APPLICATION_ID", "app")));
        assertThat(relay)
                .containsEntry("application.id", "app-relay")
                .containsEntry("processing.guarantee", "at_least_once")
                .containsEntry("producer.enable.idempotence", true)
                .containsEntry("producer.acks", "all")
                .containsEntry("producer.delivery.timeout.ms", Integer.MAX_VALUE)
                .containsEntry("producer.linger.ms", "5");
        int clientLimit = (Integer) relay.get("producer.max.request.size");
        int topicLimit =
                Integer.parseInt(
                        RelayTopology.TOPIC_CONFIGS.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG));
        assertThat(clientLimit)
                .as("the client refuses an oversized record before the broker could refuse a batch")
                .isLessThan(topicLimit);
    }

    @Test
    void shouldKeepAnOperatorsProducerSettingAndCommitInterval() {
        Properties relay =
                IngestService.relayProperties(
                        IngestConfig.fromEnv(
                                Map.of(
                                        "SIDSTREAM_KAFKA_PRODUCER_LINGER_MS", "1",
                                        "SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "250")));
        assertThat(relay)
                .containsEntry("producer.linger.ms", "1")
                .containsEntry("commit.interval.ms", "250");
    }
}
