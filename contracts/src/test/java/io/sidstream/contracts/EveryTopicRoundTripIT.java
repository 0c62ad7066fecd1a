package io.sidstream.contracts;

import io.sidstream.contracts.serde.AvroSerde;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** One record of every Avro type through a real broker, on a topic laid out as catalogued. */
@Tag("integration")
@Timeout(120)
@ExtendWith(KafkaClusterExtension.class)
class EveryTopicRoundTripIT {

    @Test
    void shouldProduceAndConsumeEveryValueTypeThroughARealBroker(KafkaCluster cluster)
            throws Exception {
        for (TopicSpec<?, ?> spec : Topics.all()) {
            roundTrip(cluster, spec);
        }
    }

    @SuppressWarnings("unchecked")
    private static <K, V> void roundTrip(KafkaCluster cluster, TopicSpec<K, V> spec)
            throws Exception {
        String topic = KafkaCluster.uniqueName(spec.name());
        cluster.createTopics(
                List.of(new NewTopic(topic, spec.partitions(), (short) 1).configs(spec.configs())));
        Class<?> type = ((AvroSerde<?>) spec.valueSerde()).type();
        SpecificRecord sample = SampleRecords.all().get(type.getSimpleName());
        assertThat(sample).as("a sample of %s", type.getSimpleName()).isNotNull();

        var props = cluster.clientProperties();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (var producer =
                new KafkaProducer<>(
                        props, spec.keySerde().serializer(), spec.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic, (K) "key-1", (V) sample)).get();
        }
        List<ConsumerRecord<K, V>> records =
                TopicReader.readAtLeast(
                        cluster,
                        topic,
                        spec.keySerde().deserializer(),
                        spec.valueSerde().deserializer(),
                        1,
                        Duration.ofSeconds(30));
        assertThat(records).hasSize(1);
        assertThat(records.get(0).key()).isEqualTo("key-1");
        assertThat(records.get(0).value()).as(spec.name()).isEqualTo(sample);
    }
}
