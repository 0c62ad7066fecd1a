package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.KafkaCluster;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(120)
@ExtendWith(KafkaClusterExtension.class)
class EmbeddedKraftClusterIT {

    @Test
    void shouldRoundTripRecordsThroughARealBroker(KafkaCluster cluster) throws Exception {
        assertThat(cluster.backend()).isEqualTo("embedded-kraft");
        RoundTrips.assertRoundTrip(cluster, 5);
    }

    @Test
    void shouldShareOneClusterAcrossInjections(KafkaCluster first, KafkaCluster second) {
        assertThat(first).isSameAs(second);
        assertThat(first.bootstrapServers()).startsWith("localhost:");
    }

    @Test
    void shouldFailWithACountWhenTooFewRecordsArrive(KafkaCluster cluster) {
        String topic = KafkaCluster.uniqueName("empty");
        cluster.createTopics(topic);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () ->
                                TopicReader.readAtLeast(
                                        cluster,
                                        topic,
                                        new StringDeserializer(),
                                        new StringDeserializer(),
                                        1,
                                        Duration.ofSeconds(1)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("but read 0");
    }
}
