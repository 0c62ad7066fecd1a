package io.sidstream.app;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.platform.kafka.TopicAdmin;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.PrintStream;
import java.util.Map;
import java.util.Properties;

/** The local mode's Kafka plumbing: the catalogue's topics, and producers that fail loudly. */
final class DemoKafka {
    private DemoKafka() {}

    static void createTopics(String bootstrap, boolean local, PrintStream out) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int created =
                    TopicAdmin.createMissing(
                            admin,
                            Topics.all().stream()
                                    // Two partitions locally: real parallelism and repartitioning
                                    // without the
                                    // overhead of the production partition count on a laptop.
                                    .map(
                                            t ->
                                                    local
                                                            ? t.toNewTopic(
                                                                    Math.min(2, t.partitions()),
                                                                    (short) 1)
                                                            : t.toNewTopic((short) -1))
                                    .toList());
            out.println("topics: " + Topics.all().size() + " catalogued, " + created + " created");
        }
    }

    /** An idempotent producer for a catalogued topic; gives up within 15 s without a broker. */
    static <V> KafkaProducer<String, V> producer(String bootstrap, TopicSpec<String, V> spec) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(
                props, spec.keySerde().serializer(), spec.valueSerde().serializer());
    }

    static <V> void send(
            KafkaProducer<String, V> producer, TopicSpec<String, V> spec, String key, V value) {
        producer.send(
                new ProducerRecord<>(spec.name(), key, value),
                (meta, error) -> {
                    if (error != null) {
                        throw new IllegalStateException(
                                "send to " + spec.name() + " failed", error);
                    }
                });
    }
}
