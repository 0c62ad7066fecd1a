package io.sidstream.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.ItemTopology;
import io.sidstream.ingest.topology.RelayTopology;
import io.sidstream.ingest.topology.UserHistoryTopology;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.UserHistory;
import io.sidstream.testkit.kafka.TopicReader;
import io.sidstream.testkit.python.PythonKit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The item and interaction contracts hold for a non-Java producer at its default settings: a Python
 * process (Debian's python3-confluent-kafka, librdkafka's consistent_random partitioner, through
 * the client kit in clients/python) lists, changes and delists items and sends interactions of many
 * users over 6 partitions. Every live item gets exactly one SID (unique among live items), every
 * delisted one none, and every user's history equals the oracle, with ingest's inputs re-keyed (the
 * default), re-keyed by the at-least-once relay, and trusted as produced. Through the relay, a
 * complete replay of its input changes nothing downstream.
 */
@Tag("integration")
@Timeout(600)
class NonJavaProducerIT {
    static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);
    static final int PARTITIONS = 6;
    static final int ITEMS = 80;
    static final int USERS = 60;
    static final int EVENTS_PER_USER = 7;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @EnumSource(InputRouting.class)
    void shouldGiveEveryItemOneSidAndEveryUserTheirHistoryWhateverThePartitioner(
            InputRouting routing, @TempDir Path dir) throws Exception {
        try (KafkaCluster cluster = EmbeddedKraftCluster.start()) {
            try (var admin = cluster.admin()) {
                List<TopicSpec<?, ?>> topics = new ArrayList<>(IngestService.REQUIRED_TOPICS);
                TopicAdmin.createMissing(
                        admin,
                        topics.stream().map(t -> t.toNewTopic(PARTITIONS, (short) 1)).toList());
            }
            Random random = new Random(7);
            // Phase 1: list every item, change the content of some, delist a few.
            List<ObjectNode> itemRecords = new ArrayList<>();
            Set<String> live = new HashSet<>();
            for (int i = 0; i < ITEMS; i++) {
                String id = "py-item-" + i;
                itemRecords.add(item(id, "Film number " + i + " about " + word(random)));
                live.add(id);
            }
            for (int i = 0; i < 8; i++) {
                itemRecords.add(item("py-item-" + i, "Remastered film " + i + " " + word(random)));
            }
            for (int i = 70; i < 74; i++) {
                itemRecords.add(record(Topics.ITEMS.name(), "py-item-" + i, null));
                live.remove("py-item-" + i);
            }
            long misroutedByJava =
                    itemRecords.stream()
                            .map(r -> r.get("key").asText())
                            .distinct()
                            .filter(k -> crc32Partition(k) != murmur2Partition(k))
                            .count();
            assertThat(misroutedByJava)
                    .as("keys librdkafka places on another partition than Java would")
                    .isGreaterThan(ITEMS / 2);
            pythonProduce(cluster, dir.resolve("items.jsonl"), itemRecords);

            try (IngestService ingest =
                    IngestService.start(
                            IngestConfig.fromEnv(env(cluster, dir, routing)),
                            Duration.ofMinutes(2))) {
                Map<String, ItemSid> sids = awaitSids(cluster, live);
                assertThat(sids.keySet()).as("live items with a SID").isEqualTo(live);
                Map<List<Integer>, String> holders = new HashMap<>();
                for (Map.Entry<String, ItemSid> e : sids.entrySet()) {
                    String other = holders.put(e.getValue().getSid(), e.getKey());
                    assertThat(other)
                            .as(
                                    "SID %s held by %s and %s",
                                    e.getValue().getSid(), other, e.getKey())
                            .isNull();
                }
                assertThat(sids.values())
                        .as("changed items carry their new content's hash")
                        .allMatch(s -> s.getContentHash() != null);

                // Phase 2: interactions of many users on live items, in event-time order.
                List<String> liveIds = new ArrayList<>(new java.util.TreeSet<>(live));
                List<ObjectNode> events = new ArrayList<>();
                Map<String, List<String>> oracle = new LinkedHashMap<>();
                long t = 1_700_000_000_000L;
                for (int e = 0; e < EVENTS_PER_USER; e++) {
                    for (int u = 0; u < USERS; u++) {
                        String user = "py-user-" + u;
                        String itemId = liveIds.get(random.nextInt(liveIds.size()));
                        long time = t + (e * USERS + u) * 1000L;
                        ObjectNode value = JSON.createObjectNode();
                        value.put("eventId", user + "-" + e);
                        value.put("userId", user);
                        value.put("itemId", itemId);
                        value.put("eventType", "CLICK");
                        value.putNull("value");
                        value.put("eventTime", time);
                        events.add(record(Topics.INTERACTIONS.name(), user, value));
                        oracle.computeIfAbsent(user, k -> new ArrayList<>()).add(itemId);
                    }
                }
                pythonProduce(cluster, dir.resolve("events.jsonl"), events);
                Map<String, List<String>> histories = awaitHistories(cluster, oracle);
                assertThat(histories).as("every user's history").isEqualTo(oracle);
                if (routing == InputRouting.AS_PRODUCED) {
                    assertThat(
                                    ingest
                                            .metrics()
                                            .registry()
                                            .get("sidstream.ingest.input.misrouted")
                                            .counters()
                                            .stream()
                                            .mapToDouble(c -> c.count())
                                            .sum())
                            .as("non-murmur2 placement is detected")
                            .isPositive();
                }
            }
            if (routing == InputRouting.RELAY) {
                shouldAbsorbACompleteReplayOfTheRelay(cluster, dir);
            }
        }
    }

    /**
     * The relay is at-least-once: after a crash it copies again what it copied since its last
     * commit. The worst case, its whole input again, changes nothing downstream: without the
     * owners' positions the changed items would flap back to their old content and the delisted
     * ones be listed again, each publishing SIDs.
     */
    private static void shouldAbsorbACompleteReplayOfTheRelay(KafkaCluster cluster, Path dir)
            throws Exception {
        String app = "py-it-relay";
        List<String> relayTopics =
                List.of(
                        RelayTopology.relayTopic(app, ItemTopology.ITEMS_ROUTE),
                        RelayTopology.relayTopic(app, UserHistoryTopology.EVENTS_ROUTE));
        int sidsBefore = count(cluster, Topics.ITEM_SIDS.name());
        int historiesBefore = count(cluster, Topics.USER_HISTORIES.name());
        int dlqBefore = count(cluster, Topics.ITEMS_DLQ.name());
        Map<TopicPartition, Long> copiedOnce;
        try (Admin admin = cluster.admin()) {
            copiedOnce = endOffsets(admin, relayTopics);
            Map<TopicPartition, OffsetAndMetadata> rewind = new HashMap<>();
            for (String input : List.of(Topics.ITEMS.name(), Topics.INTERACTIONS.name())) {
                for (int p = 0; p < PARTITIONS; p++) {
                    rewind.put(new TopicPartition(input, p), new OffsetAndMetadata(0));
                }
            }
            admin.alterConsumerGroupOffsets(RelayTopology.applicationId(app), rewind).all().get();
        }
        try (IngestService ingest =
                IngestService.start(
                        IngestConfig.fromEnv(env(cluster, dir, InputRouting.RELAY)),
                        Duration.ofMinutes(2))) {
            try (Admin admin = cluster.admin()) {
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (true) {
                    Map<TopicPartition, Long> ends = endOffsets(admin, relayTopics);
                    Map<TopicPartition, Long> applied = new HashMap<>();
                    admin.listConsumerGroupOffsets(app)
                            .partitionsToOffsetAndMetadata()
                            .get()
                            .forEach(
                                    (tp, o) -> {
                                        if (relayTopics.contains(tp.topic())) {
                                            applied.put(tp, o.offset());
                                        }
                                    });
                    boolean copiedTwice =
                            ends.entrySet().stream()
                                    .allMatch(e -> e.getValue() == 2 * copiedOnce.get(e.getKey()));
                    boolean drained =
                            ends.entrySet().stream()
                                    .allMatch(
                                            e ->
                                                    e.getValue()
                                                            .equals(
                                                                    applied.getOrDefault(
                                                                            e.getKey(), -1L)));
                    if (copiedTwice && drained) {
                        break;
                    }
                    assertThat(System.nanoTime())
                            .as(
                                    "relay copied %s of %s, owners applied %s",
                                    ends, copiedOnce, applied)
                            .isLessThan(deadline);
                    Thread.sleep(200);
                }
            }
            assertThat(count(cluster, Topics.ITEM_SIDS.name()))
                    .as("SIDs published after the replay")
                    .isEqualTo(sidsBefore);
            assertThat(count(cluster, Topics.USER_HISTORIES.name()))
                    .as("histories published after the replay")
                    .isEqualTo(historiesBefore);
            assertThat(count(cluster, Topics.ITEMS_DLQ.name())).isEqualTo(dlqBefore);
            assertThat(
                            ingest
                                    .metrics()
                                    .registry()
                                    .get("sidstream.ingest.relay.replays")
                                    .counters()
                                    .stream()
                                    .mapToDouble(c -> c.count())
                                    .sum())
                    .as("replayed records dropped")
                    .isEqualTo(copiedOnce.values().stream().mapToLong(Long::longValue).sum());
        }
        // What the owners applied is deleted from the relay topics, as from repartition topics.
        Map<String, Object> adminProps = new HashMap<>();
        adminProps.put("bootstrap.servers", cluster.bootstrapServers());
        try (RelayTopicPurger purger =
                        new RelayTopicPurger(adminProps, app, relayTopics, Duration.ofHours(1));
                Admin admin = cluster.admin()) {
            assertThat(purger.purge()).isPositive();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            endOffsets(admin, relayTopics)
                    .keySet()
                    .forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
            Map<TopicPartition, Long> starts = new HashMap<>();
            admin.listOffsets(earliest).all().get().forEach((tp, i) -> starts.put(tp, i.offset()));
            assertThat(starts)
                    .as("relay topics start where the owners committed")
                    .isEqualTo(endOffsets(admin, relayTopics));
        }
    }

    private static int count(KafkaCluster cluster, String topic) {
        return TopicReader.readAll(
                        cluster,
                        topic,
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer(),
                        Duration.ofMinutes(1))
                .size();
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, List<String> topics)
            throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (String topic : topics) {
            for (int p = 0; p < PARTITIONS; p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(request).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    private static Map<String, String> env(KafkaCluster cluster, Path dir, InputRouting routing) {
        return env(cluster, dir, "py-it-" + routing.name().toLowerCase(), routing);
    }

    /** An ingest instance of {@code app} on the default bundle, one model thread, no requests. */
    static Map<String, String> env(
            KafkaCluster cluster, Path dir, String app, InputRouting routing) {
        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_INGEST_APPLICATION_ID", app);
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_STATE_DIR", dir.resolve("state").toString());
        env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
        env.put("SIDSTREAM_MODEL_THREADS", "1");
        env.put("SIDSTREAM_INGEST_INPUT_ROUTING", routing.name());
        env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
        env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "200");
        return env;
    }

    private static ObjectNode item(String id, String title) {
        ObjectNode value = JSON.createObjectNode();
        value.put("itemId", id);
        value.put("title", title);
        value.putNull("description");
        value.putArray("categories").add("Drama");
        value.putNull("brand");
        value.putNull("embedding");
        value.put("eventTime", 1_600_000_000_000L);
        return record(Topics.ITEMS.name(), id, value);
    }

    private static ObjectNode record(String topic, String key, ObjectNode value) {
        ObjectNode r = JSON.createObjectNode();
        r.put("topic", topic);
        r.put("key", key);
        r.set("value", value);
        return r;
    }

    private static String word(Random random) {
        String[] words = {"love", "war", "space", "crime", "family", "music", "horror", "sea"};
        return words[random.nextInt(words.length)];
    }

    /** librdkafka's consistent_random for a non-null key: CRC32 of the key bytes. */
    static int crc32Partition(String key) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % PARTITIONS);
    }

    static int murmur2Partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    /** Produces the records with the Python client kit at librdkafka's default settings. */
    static void pythonProduce(KafkaCluster cluster, Path file, List<ObjectNode> records)
            throws IOException, InterruptedException {
        StringBuilder lines = new StringBuilder();
        for (ObjectNode r : records) {
            lines.append(JSON.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, lines);
        String out =
                PythonKit.run(
                        List.of(
                                "-m",
                                "sidstream_client",
                                "produce",
                                "--bootstrap",
                                cluster.bootstrapServers(),
                                "--schemas",
                                PythonKit.schemas().toString(),
                                file.toAbsolutePath().toString()),
                        Duration.ofMinutes(2));
        assertThat(out).contains("\"produced\": " + records.size());
    }

    private static Map<String, ItemSid> awaitSids(KafkaCluster cluster, Set<String> live) {
        Map<String, ItemSid> latest = new HashMap<>();
        readCompacted(
                cluster,
                Topics.ITEM_SIDS.name(),
                Topics.ITEM_SIDS.valueSerde().deserializer(),
                latest,
                () -> latest.keySet().equals(live));
        return latest;
    }

    private static Map<String, List<String>> awaitHistories(
            KafkaCluster cluster, Map<String, List<String>> oracle) {
        Map<String, UserHistory> latest = new HashMap<>();
        readCompacted(
                cluster,
                Topics.USER_HISTORIES.name(),
                Topics.USER_HISTORIES.valueSerde().deserializer(),
                latest,
                () -> itemIds(latest).equals(oracle));
        return itemIds(latest);
    }

    private static Map<String, List<String>> itemIds(Map<String, UserHistory> histories) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        histories.forEach(
                (user, h) ->
                        out.put(
                                user,
                                h.getEntries().stream().map(HistoryEntry::getItemId).toList()));
        return out;
    }

    /** The latest value per key (tombstones remove), until {@code done} or three minutes. */
    private static <V> void readCompacted(
            KafkaCluster cluster,
            String topic,
            Deserializer<V> values,
            Map<String, V> latest,
            java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        try (KafkaConsumer<String, V> consumer =
                TopicReader.committedConsumer(cluster, topic, new StringDeserializer(), values)) {
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        latest.remove(r.key());
                    } else {
                        latest.put(r.key(), r.value());
                    }
                }
            }
        }
    }
}
