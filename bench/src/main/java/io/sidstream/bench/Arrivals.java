package io.sidstream.bench;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.localkafka.KafkaCluster;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Output-side helpers of the end-to-end benchmarks: committed-read consumers, arrival latencies.
 */
final class Arrivals {
    private Arrivals() {}

    /** A read_committed consumer of a topic from the beginning. */
    static <V> KafkaConsumer<String, V> consumer(
            KafkaCluster cluster, String group, TopicSpec<String, V> topic) {
        Properties props = cluster.clientProperties();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, V> consumer =
                new KafkaConsumer<>(
                        props, topic.keySerde().deserializer(), topic.valueSerde().deserializer());
        consumer.subscribe(List.of(topic.name()));
        return consumer;
    }

    /**
     * Polls until {@code expected} records arrived. Without {@code sentAt} every record counts and
     * the arrival times ({@link System#nanoTime}) are returned, in arrival order; with it only keys
     * starting with {@code keyPrefix} count, and their arrival minus send time (ns) is returned.
     */
    static long[] drain(
            KafkaConsumer<String, ?> consumer,
            int expected,
            Map<String, Long> sentAt,
            String keyPrefix) {
        long[] latencies = new long[expected];
        int seen = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (seen < expected && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, ?> r : consumer.poll(Duration.ofMillis(20))) {
                long now = System.nanoTime();
                if (sentAt == null) {
                    latencies[seen++] = now;
                } else if (r.key().startsWith(keyPrefix)) {
                    // The producer thread records the send time just before sending.
                    Long sent = sentAt.get(r.key());
                    latencies[seen++] = sent == null ? 0 : now - sent;
                }
            }
        }
        if (seen < expected) {
            throw new IllegalStateException(
                    "only " + seen + " of " + expected + " records arrived");
        }
        return latencies;
    }

    /** The q-quantile (0..1) of sorted nanosecond latencies, in milliseconds. */
    static double percentileMs(long[] sorted, double q) {
        int index =
                (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1));
        return sorted[index] / 1e6;
    }
}
