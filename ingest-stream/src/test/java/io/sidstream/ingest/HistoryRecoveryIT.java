package io.sidstream.ingest;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.UserHistory;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dataset's interactions of 1,200 users through two instances, one a child JVM killed with
 * SIGKILL mid-run and restarted: every user's final history equals an oracle computed directly from
 * the events (last N by event time).
 */
@Tag("integration")
@Timeout(600)
@ExtendWith(KafkaClusterExtension.class)
class HistoryRecoveryIT {
    static final int USERS = 1_200;
    static final int N = 50;
    static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @ParameterizedTest
    @EnumSource(
            value = InputRouting.class,
            names = {"REPARTITION", "RELAY"})
    void shouldEndWithEveryUsersHistoryEqualToTheOracleAcrossACrash(
            InputRouting routing, KafkaCluster cluster, @TempDir Path dir) throws Exception {
        SharedTopics.ensure(cluster);
        ModelBundle bundle = ModelBundle.load(BUNDLE);
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEM_SIDS.keySerde().serializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer())) {
            for (Map.Entry<String, List<Integer>> e : bundle.trainerItemSids().entrySet()) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(),
                                e.getKey(),
                                ItemSid.newBuilder()
                                        .setItemId(e.getKey())
                                        .setSid(e.getValue())
                                        .setModelVersion(bundle.sidSpace())
                                        .setContentHash("c")
                                        .setItemEventTime(Instant.EPOCH)
                                        .setAssignedAt(Instant.EPOCH)
                                        .build()));
            }
        }
        List<Interaction> all =
                Datasets.readInteractions(
                        Path.of("..", "data", "movietweetings-100k", "ratings.dat"));
        Set<String> users = new LinkedHashSet<>();
        for (Interaction e : all) {
            if (users.size() < USERS) {
                users.add(e.userId());
            }
        }
        // Users of their own per routing: the cluster, and so the input topic, is shared.
        String prefix = routing.name().toLowerCase(java.util.Locale.ROOT) + "-";
        List<Interaction> events =
                all.stream()
                        .filter(e -> users.contains(e.userId()))
                        .map(
                                e ->
                                        new Interaction(
                                                prefix + e.userId(),
                                                e.itemId(),
                                                e.eventType(),
                                                e.value(),
                                                e.timestampMillis()))
                        .toList();
        Map<String, List<String>> oracle = oracle(events);

        String app = KafkaCluster.uniqueName("history-recovery");
        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_INGEST_APPLICATION_ID", app);
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
        env.put("SIDSTREAM_INGEST_INPUT_ROUTING", routing.name());
        env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
        env.put("SIDSTREAM_HISTORY_LENGTH", Integer.toString(N));
        // Replayed 2013 events are old; the lateness bound must cover the dataset's ties only.
        env.put("SIDSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "200");
        Map<String, String> inProcess = new HashMap<>(env);
        inProcess.put("SIDSTREAM_STATE_DIR", dir.resolve("a").toString());
        Map<String, String> child = new HashMap<>(env);
        child.put("SIDSTREAM_STATE_DIR", dir.resolve("b").toString());

        Map<String, List<String>> latest = new HashMap<>();
        Path logs = Files.createDirectories(Path.of("target", "it-logs"));
        try (IngestService a =
                        IngestService.start(
                                IngestConfig.fromEnv(inProcess), Duration.ofMinutes(2));
                KafkaConsumer<String, UserHistory> histories = historyConsumer(cluster)) {
            Process b = ChildInstance.start(child, logs.resolve("history-b.log"));
            try {
                ChildInstance.awaitRunning(b, logs.resolve("history-b.log"));
                try (var producer =
                        new KafkaProducer<>(
                                cluster.clientProperties(),
                                Topics.INTERACTIONS.keySerde().serializer(),
                                Topics.INTERACTIONS.valueSerde().serializer())) {
                    for (int i = 0; i < events.size(); i++) {
                        Interaction e = events.get(i);
                        producer.send(
                                new ProducerRecord<>(
                                        Topics.INTERACTIONS.name(),
                                        e.userId(),
                                        InteractionEvent.newBuilder()
                                                .setEventId(
                                                        e.userId()
                                                                + "-"
                                                                + e.itemId()
                                                                + "-"
                                                                + e.timestampMillis())
                                                .setUserId(e.userId())
                                                .setItemId(e.itemId())
                                                .setEventType(InteractionType.RATING)
                                                .setValue(e.value())
                                                .setEventTime(
                                                        Instant.ofEpochMilli(e.timestampMillis()))
                                                .build()));
                        if (i == events.size() / 2) {
                            producer.flush();
                            b.destroyForcibly().waitFor();
                            b = ChildInstance.start(child, logs.resolve("history-b-restarted.log"));
                        }
                    }
                }
                ChildInstance.awaitRunning(b, logs.resolve("history-b-restarted.log"));
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (!matches(latest, oracle) && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, UserHistory> r :
                            histories.poll(Duration.ofMillis(500))) {
                        if (oracle.containsKey(r.key())) {
                            latest.put(
                                    r.key(),
                                    r.value().getEntries().stream()
                                            .map(HistoryEntry::getItemId)
                                            .toList());
                        }
                    }
                }
            } finally {
                b.destroyForcibly().waitFor();
            }
        }
        assertThat(latest.keySet()).isEqualTo(oracle.keySet());
        for (String user : oracle.keySet()) {
            assertThat(latest.get(user)).as("history of user %s", user).isEqualTo(oracle.get(user));
        }
        // Exactly once across the crash: every interaction changed a history (one record on
        // users.history.v1) or was dead-lettered, once, whatever was replayed after the SIGKILL.
        Map<String, Long> outcomes = new HashMap<>();
        for (String topic : List.of(Topics.USER_HISTORIES.name(), Topics.INTERACTIONS_DLQ.name())) {
            TopicReader.readAll(
                            cluster,
                            topic,
                            new StringDeserializer(),
                            new ByteArrayDeserializer(),
                            Duration.ofMinutes(1))
                    .forEach(
                            r -> {
                                if (oracle.containsKey(r.key())) {
                                    outcomes.merge(r.key(), 1L, Long::sum);
                                }
                            });
        }
        Map<String, Set<String>> eventIds = new HashMap<>();
        for (Interaction e : events) {
            eventIds.computeIfAbsent(e.userId(), u -> new java.util.HashSet<>())
                    .add(e.itemId() + "-" + e.timestampMillis());
        }
        Map<String, Long> distinctEvents = new HashMap<>();
        eventIds.forEach((user, ids) -> distinctEvents.put(user, (long) ids.size()));
        assertThat(outcomes)
                .as("records per user: histories and dead letters")
                .isEqualTo(distinctEvents);
    }

    private static boolean matches(
            Map<String, List<String>> latest, Map<String, List<String>> oracle) {
        return latest.equals(oracle);
    }

    /** Last N items per user by (event time, event id), oldest first: what the topology keeps. */
    static Map<String, List<String>> oracle(List<Interaction> events) {
        Map<String, List<Interaction>> byUser = new HashMap<>();
        for (Interaction e : events) {
            byUser.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e);
        }
        Map<String, List<String>> out = new HashMap<>();
        byUser.forEach(
                (user, list) -> {
                    list.sort(
                            Comparator.comparingLong(Interaction::timestampMillis)
                                    .thenComparing(
                                            e ->
                                                    e.userId()
                                                            + "-"
                                                            + e.itemId()
                                                            + "-"
                                                            + e.timestampMillis()));
                    List<Interaction> kept =
                            list.subList(Math.max(0, list.size() - N), list.size());
                    out.put(user, kept.stream().map(Interaction::itemId).toList());
                });
        return out;
    }

    private static KafkaConsumer<String, UserHistory> historyConsumer(KafkaCluster cluster) {
        return TopicReader.committedConsumer(
                cluster,
                Topics.USER_HISTORIES.name(),
                new StringDeserializer(),
                Topics.USER_HISTORIES.valueSerde().deserializer());
    }
}
