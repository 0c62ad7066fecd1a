package io.sidstream.ingest;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.ItemTopology;
import io.sidstream.ingest.topology.RelayTopology;
import io.sidstream.ingest.topology.UserHistoryTopology;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Switching a running deployment's input routing (the upgrade to the RELAY default, and back)
 * neither re-applies nor loses a record: REPARTITION, then RELAY, then REPARTITION again on the
 * same application id and state, with new items and interactions in every phase. Every phase ends
 * with each record of the inputs applied and counted on {@code items.sid.v1}: one SID per listing
 * or change, none for a replay (a relay started from the beginning would flap the changed items
 * back to their old content, publishing their old SIDs again).
 */
@Tag("integration")
@Timeout(600)
class RoutingSwitchIT {
    static final int PARTITIONS = 3;
    static final String APP = "routing-switch";
    static final long T0 = 1_700_000_000_000L;

    private final Map<String, List<String>> oracle = new LinkedHashMap<>();
    private int sidsPublished;
    private int events;

    @Test
    void shouldCarryTheInputPositionsAcrossEveryChangeOfRouting(@TempDir Path dir)
            throws Exception {
        try (KafkaCluster cluster = EmbeddedKraftCluster.start()) {
            try (Admin admin = cluster.admin()) {
                List<TopicSpec<?, ?>> topics = new ArrayList<>(IngestService.REQUIRED_TOPICS);
                TopicAdmin.createMissing(
                        admin,
                        topics.stream().map(t -> t.toNewTopic(PARTITIONS, (short) 1)).toList());
            }
            phase(cluster, dir, InputRouting.REPARTITION, 0, 12, true);
            phase(cluster, dir, InputRouting.RELAY, 12, 3, true);
            try (Admin admin = cluster.admin()) {
                assertThat(admin.listConsumerGroups().all().get())
                        .extracting(g -> g.groupId())
                        .contains(RelayTopology.applicationId(APP));
            }
            phase(cluster, dir, InputRouting.REPARTITION, 15, 3, false);
            try (Admin admin = cluster.admin()) {
                assertThat(admin.listConsumerGroups().all().get())
                        .extracting(g -> g.groupId())
                        .as("the relay's positions are removed once the owners took over")
                        .doesNotContain(RelayTopology.applicationId(APP));
            }
        }
    }

    /**
     * Lists {@code count} new items (changing the content of the first ones when {@code change})
     * and one interaction per user, then waits until every input record is applied and checks the
     * SIDs published and the histories.
     */
    private void phase(
            KafkaCluster cluster,
            Path dir,
            InputRouting routing,
            int firstItem,
            int count,
            boolean change)
            throws Exception {
        try (IngestService ingest =
                IngestService.start(
                        IngestConfig.fromEnv(NonJavaProducerIT.env(cluster, dir, APP, routing)),
                        Duration.ofMinutes(2))) {
            try (var items =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    Topics.ITEMS.keySerde().serializer(),
                                    Topics.ITEMS.valueSerde().serializer());
                    var interactions =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    Topics.INTERACTIONS.keySerde().serializer(),
                                    Topics.INTERACTIONS.valueSerde().serializer())) {
                for (int i = firstItem; i < firstItem + count; i++) {
                    items.send(item("switch-item-" + i, "Film " + i + " about the sea"));
                    sidsPublished++;
                }
                items.flush();
                // Listed first: a change that meets its listing in one batch supersedes it.
                awaitSidCount(cluster, sidsPublished);
                if (change) {
                    for (int i = firstItem; i < firstItem + 2; i++) {
                        items.send(item("switch-item-" + i, "Remastered film " + i + " of war"));
                        sidsPublished++;
                    }
                }
                items.flush();
                awaitSidCount(cluster, sidsPublished);
                for (int u = 0; u < 4; u++) {
                    String user = "switch-user-" + u;
                    String itemId = "switch-item-" + (firstItem + u % count);
                    events++;
                    interactions.send(
                            new ProducerRecord<>(
                                    Topics.INTERACTIONS.name(),
                                    user,
                                    InteractionEvent.newBuilder()
                                            .setEventId(user + "-" + events)
                                            .setUserId(user)
                                            .setItemId(itemId)
                                            .setEventType(InteractionType.CLICK)
                                            .setValue(null)
                                            .setEventTime(Instant.ofEpochMilli(T0 + events * 1000L))
                                            .build()));
                    oracle.computeIfAbsent(user, k -> new ArrayList<>()).add(itemId);
                }
            }
            awaitApplied(cluster, routing);
            assertThat(readAll(cluster, Topics.ITEM_SIDS.name()))
                    .as("SIDs on items.sid.v1 after the %s phase", routing)
                    .isEqualTo(sidsPublished);
            Map<String, List<String>> histories = new HashMap<>();
            TopicReader.readAll(
                            cluster,
                            Topics.USER_HISTORIES.name(),
                            new StringDeserializer(),
                            Topics.USER_HISTORIES.valueSerde().deserializer(),
                            Duration.ofMinutes(1))
                    .forEach(
                            r ->
                                    histories.put(
                                            r.key(),
                                            r.value().getEntries().stream()
                                                    .map(HistoryEntry::getItemId)
                                                    .toList()));
            assertThat(histories).as("histories after the %s phase", routing).isEqualTo(oracle);
        }
    }

    private static ProducerRecord<String, ItemEvent> item(String id, String title) {
        return new ProducerRecord<>(
                Topics.ITEMS.name(),
                id,
                ItemEvent.newBuilder()
                        .setItemId(id)
                        .setTitle(title)
                        .setDescription(null)
                        .setCategories(List.of("Drama"))
                        .setBrand(null)
                        .setEmbedding(null)
                        .setEventTime(Instant.ofEpochMilli(T0))
                        .build());
    }

    private static void awaitSidCount(KafkaCluster cluster, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (readAll(cluster, Topics.ITEM_SIDS.name()) < expected) {
            assertThat(System.nanoTime()).as("%s SIDs published", expected).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /**
     * Waits until the group reading the inputs has committed their ends and the owners have
     * committed the ends of the hop topics: nothing is left to apply, replays included.
     */
    private static void awaitApplied(KafkaCluster cluster, InputRouting routing) throws Exception {
        List<String> inputs = List.of(Topics.ITEMS.name(), Topics.INTERACTIONS.name());
        List<String> hops =
                List.of(
                        routing.hopTopic(APP, ItemTopology.ITEMS_ROUTE),
                        routing.hopTopic(APP, UserHistoryTopology.EVENTS_ROUTE));
        String inputGroup = routing == InputRouting.RELAY ? RelayTopology.applicationId(APP) : APP;
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        try (Admin admin = cluster.admin()) {
            while (!(caughtUp(admin, inputGroup, inputs) && caughtUp(admin, APP, hops))) {
                assertThat(System.nanoTime())
                        .as("%s applied every input record", routing)
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static boolean caughtUp(Admin admin, String group, List<String> topics)
            throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (String topic : topics) {
            for (int p = 0; p < PARTITIONS; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
        }
        var ends = admin.listOffsets(latest).all().get();
        var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (var end : ends.entrySet()) {
            var c = committed.get(end.getKey());
            long at = c == null ? 0 : c.offset();
            if (at < end.getValue().offset()) {
                return false;
            }
        }
        return true;
    }

    private static int readAll(KafkaCluster cluster, String topic) {
        List<ConsumerRecord<String, ItemSid>> records =
                TopicReader.readAll(
                        cluster,
                        topic,
                        new StringDeserializer(),
                        Topics.ITEM_SIDS.valueSerde().deserializer(),
                        Duration.ofMinutes(1));
        return records.size();
    }
}
