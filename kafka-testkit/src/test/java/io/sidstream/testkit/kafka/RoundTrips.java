package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.KafkaCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Produces n keyed strings to a fresh topic and asserts they come back in order. */
final class RoundTrips {
    private RoundTrips() {}

    static void assertRoundTrip(KafkaCluster cluster, int n)
            throws ExecutionException, InterruptedException {
        String topic = KafkaCluster.uniqueName("roundtrip-" + cluster.backend());
        cluster.createTopics(topic);
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        new StringSerializer(),
                        new StringSerializer())) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
            }
        }
        List<ConsumerRecord<String, String>> records =
                TopicReader.readAtLeast(
                        cluster,
                        topic,
                        new StringDeserializer(),
                        new StringDeserializer(),
                        n,
                        Duration.ofSeconds(60));
        assertThat(records).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(records.get(i).key()).isEqualTo("k" + i);
            assertThat(records.get(i).value()).isEqualTo("v" + i);
        }
    }
}
