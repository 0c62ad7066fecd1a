package io.sidstream.app;

import io.sidstream.schemas.TopicAdmin;
import io.sidstream.schemas.TopicSpec;
import io.sidstream.schemas.Topics;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.sid.data.CatalogItem;
import io.sidstream.sid.data.Datasets;
import io.sidstream.sid.data.Interaction;
import io.sidstream.testkit.kafka.EmbeddedKraftCluster;
import io.sidstream.testkit.kafka.KafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The first, foundation-level demo: a real broker, the catalogued topics, and the demo data
 * replayed as Avro item and interaction events. It grows into the full local mode (SID assignment,
 * histories, retrieval, dashboard) as those services land.
 */
final class SmokeDemo {
    private SmokeDemo() {}

    static int run(DemoOptions options, PrintStream out) {
        long t0 = System.nanoTime();
        KafkaCluster embedded = null;
        String bootstrap = options.bootstrapServers();
        if (bootstrap == null) {
            out.println("starting embedded Kafka broker (KRaft, loopback only) ...");
            embedded = EmbeddedKraftCluster.start();
            bootstrap = embedded.bootstrapServers();
        }
        try {
            out.println("broker: " + bootstrap);
            createTopics(bootstrap, out);
            List<CatalogItem> catalog = Datasets.readCatalog(options.catalogFile());
            List<Interaction> interactions = Datasets.readInteractions(options.interactionsFile());
            interactions = interactions.subList(0, Math.min(options.limit(), interactions.size()));
            try (KafkaProducer<String, ItemEvent> items = producer(bootstrap, Topics.ITEMS)) {
                replay(
                        out,
                        "items",
                        catalog.size(),
                        i ->
                                send(
                                        items,
                                        Topics.ITEMS,
                                        catalog.get(i).itemId(),
                                        itemEvent(catalog.get(i))));
            }
            List<Interaction> events = interactions;
            try (KafkaProducer<String, InteractionEvent> producer =
                    producer(bootstrap, Topics.INTERACTIONS)) {
                replay(
                        out,
                        "interactions",
                        events.size(),
                        i ->
                                send(
                                        producer,
                                        Topics.INTERACTIONS,
                                        events.get(i).userId(),
                                        interactionEvent(events.get(i), i)));
            }
            long itemsOnTopic = endOffsets(bootstrap, Topics.ITEMS.name());
            long eventsOnTopic = endOffsets(bootstrap, Topics.INTERACTIONS.name());
            out.printf(
                    Locale.ROOT,
                    "summary: items on %s=%d, interactions on %s=%d, elapsed=%.1fs%n",
                    Topics.ITEMS.name(),
                    itemsOnTopic,
                    Topics.INTERACTIONS.name(),
                    eventsOnTopic,
                    (System.nanoTime() - t0) / 1e9);
            return itemsOnTopic >= catalog.size() && eventsOnTopic >= events.size() ? 0 : 1;
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static void createTopics(String bootstrap, PrintStream out) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int created =
                    TopicAdmin.createMissing(
                            admin,
                            Topics.all().stream().map(t -> t.toNewTopic((short) 1)).toList());
            out.println("topics: " + Topics.all().size() + " catalogued, " + created + " created");
        }
    }

    private static <V> KafkaProducer<String, V> producer(
            String bootstrap, TopicSpec<String, V> spec) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(
                props, spec.keySerde().serializer(), spec.valueSerde().serializer());
    }

    private static <V> void send(
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

    private static void replay(
            PrintStream out, String what, int total, java.util.function.IntConsumer sendOne) {
        ProgressBar progress = new ProgressBar(out, what, total);
        for (int i = 0; i < total; i++) {
            sendOne.accept(i);
            progress.step();
        }
        progress.done();
    }

    static ItemEvent itemEvent(CatalogItem item) {
        return ItemEvent.newBuilder()
                .setItemId(item.itemId())
                .setTitle(item.title())
                .setDescription(item.description())
                .setCategories(item.categories())
                .setBrand(item.brand())
                .setEventTime(Instant.now())
                .build();
    }

    static InteractionEvent interactionEvent(Interaction interaction, long sequence) {
        InteractionType type;
        try {
            type = InteractionType.valueOf(interaction.eventType());
        } catch (IllegalArgumentException e) {
            type = InteractionType.OTHER;
        }
        return InteractionEvent.newBuilder()
                .setEventId(
                        interaction.userId()
                                + "-"
                                + interaction.itemId()
                                + "-"
                                + interaction.timestampMillis())
                .setUserId(interaction.userId())
                .setItemId(interaction.itemId())
                .setEventType(type)
                .setValue(Double.isNaN(interaction.value()) ? null : interaction.value())
                .setEventTime(Instant.ofEpochMilli(interaction.timestampMillis()))
                .build();
    }

    private static long endOffsets(String bootstrap, String topic) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int partitions = TopicAdmin.partitions(admin, topic);
            Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            ListOffsetsResult result = admin.listOffsets(request);
            long total = 0;
            for (var e : result.all().get(30, TimeUnit.SECONDS).values()) {
                total += e.offset();
            }
            return total;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read end offsets of " + topic, e);
        }
    }
}
