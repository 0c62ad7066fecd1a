package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.KafkaCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.junit.jupiter.Testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

/** The same round trip on a Docker broker; skipped where no Docker engine runs. */
@Tag("integration")
@Timeout(300)
@Testcontainers(disabledWithoutDocker = true)
class ContainerKafkaClusterIT {

    @Test
    void shouldRoundTripThroughAContainerBroker() throws Exception {
        try (KafkaCluster cluster = ContainerKafkaCluster.start()) {
            assertThat(cluster.backend()).isEqualTo("testcontainers");
            RoundTrips.assertRoundTrip(cluster, 3);
        }
    }
}
