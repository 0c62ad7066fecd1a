package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.KafkaCluster;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a topic from the beginning until a number of records arrived or a deadline passed, with
 * {@code read_committed} isolation so tests of exactly-once pipelines see only committed output.
 */
public final class TopicReader {
    private TopicReader() {}

    /**
     * Reads at least {@code expected} records (all that arrive while polling), failing with an
     * {@link AssertionError} that says how many arrived if the deadline passes first.
     */
    public static <K, V> List<ConsumerRecord<K, V>> readAtLeast(
            KafkaCluster cluster,
            String topic,
            Deserializer<K> keyDeserializer,
            Deserializer<V> valueDeserializer,
            int expected,
            Duration timeout) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer =
                committedConsumer(cluster, topic, keyDeserializer, valueDeserializer)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        if (records.size() < expected) {
            throw new AssertionError(
                    "expected at least "
                            + expected
                            + " records on "
                            + topic
                            + " within "
                            + timeout
                            + " but read "
                            + records.size());
        }
        return records;
    }

    /**
     * Reads every committed record of {@code topic} up to its end as of the call, from all
     * partitions (partition by partition, in offset order within each).
     */
    public static <K, V> List<ConsumerRecord<K, V>> readAll(
            KafkaCluster cluster,
            String topic,
            Deserializer<K> keyDeserializer,
            Deserializer<V> valueDeserializer,
            Duration timeout) {
        Properties props = cluster.clientProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer =
                new KafkaConsumer<>(props, keyDeserializer, valueDeserializer)) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(topic, timeout).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "could not read " + topic + " to its end within " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * A consumer subscribed to {@code topic} in a fresh group, reading committed records from the
     * beginning; the caller polls and closes it.
     */
    public static <K, V> KafkaConsumer<K, V> committedConsumer(
            KafkaCluster cluster,
            String topic,
            Deserializer<K> keyDeserializer,
            Deserializer<V> valueDeserializer) {
        Properties props = cluster.clientProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaCluster.uniqueName("reader-" + topic));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<K, V> consumer =
                new KafkaConsumer<>(props, keyDeserializer, valueDeserializer);
        consumer.subscribe(List.of(topic));
        return consumer;
    }
}
