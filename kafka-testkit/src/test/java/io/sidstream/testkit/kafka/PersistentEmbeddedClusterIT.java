package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.EmbeddedKraftCluster;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(120)
class PersistentEmbeddedClusterIT {

    @Test
    void shouldKeepTopicsAndRecordsAcrossARestartOnTheSameDirectory(@TempDir Path dir)
            throws Exception {
        java.io.PrintStream stdout = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true));
        EmbeddedKraftCluster started;
        try {
            started = EmbeddedKraftCluster.startPersistent(dir);
        } finally {
            System.setOut(stdout);
        }
        // Formatting a new directory prints nothing over the caller's own output.
        assertThat(printed.toString()).doesNotContain("Formatting").doesNotContain("Bootstrap");
        try (EmbeddedKraftCluster first = started) {
            first.createTopics("kept");
            try (var producer =
                    new KafkaProducer<>(
                            first.clientProperties(),
                            new StringSerializer(),
                            new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k", "before restart")).get();
            }
        }
        try (EmbeddedKraftCluster second = EmbeddedKraftCluster.startPersistent(dir)) {
            second.createTopics("added-after-restart");
            var records =
                    TopicReader.readAtLeast(
                            second,
                            "kept",
                            new StringDeserializer(),
                            new StringDeserializer(),
                            1,
                            Duration.ofSeconds(30));
            assertThat(records).extracting(r -> r.value()).containsExactly("before restart");
        }
    }
}
