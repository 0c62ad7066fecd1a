package io.sidstream.app;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.datasets.Npy;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retraining from the stream: what {@code export-training} reads back from a real broker's topics
 * is the live catalog and every interaction once, in the trainer's formats.
 */
class ExportTrainingIT {
    static final Instant T = Instant.parse("2013-06-01T00:00:00Z");

    @Test
    void shouldExportTheLiveCatalogAndEveryInteractionOnceInTimeOrder(@TempDir Path dir)
            throws Exception {
        float[] own = new float[384];
        own[7] = 1f;
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            try (Admin admin = Admin.create(cluster.clientProperties())) {
                admin.createTopics(
                                List.of(
                                        Topics.ITEM_CATALOG.toNewTopic(2, (short) 1),
                                        Topics.ITEM_SIDS.toNewTopic(2, (short) 1),
                                        Topics.USER_HISTORIES.toNewTopic(2, (short) 1),
                                        Topics.INTERACTIONS.toNewTopic(2, (short) 1)))
                        .all()
                        .get();
            }
            List<Float> ownList = new ArrayList<>();
            for (float f : own) {
                ownList.add(f);
            }
            try (KafkaProducer<String, byte[]> producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            new StringSerializer(),
                            new ByteArraySerializer())) {
                send(producer, Topics.ITEM_CATALOG, "a", item("a", "Gravity (2013)", "Sci-Fi"));
                send(
                        producer,
                        Topics.ITEM_CATALOG,
                        "a",
                        item("a", "Gravity (2013)", "Sci-Fi", "Thriller"));
                ItemEvent vector = item("b", "Her (2013)", "Drama");
                vector.setEmbedding(ownList);
                send(producer, Topics.ITEM_CATALOG, "b", vector);
                send(producer, Topics.ITEM_CATALOG, "c", item("c", "Delisted (2013)"));
                send(producer, Topics.ITEM_CATALOG, "c", null);
                send(
                        producer,
                        Topics.USER_HISTORIES,
                        "u1",
                        UserHistory.newBuilder()
                                .setUserId("u1")
                                .setEntries(List.of(entry("a", 1), entry("b", 2)))
                                .setUpdatedAt(T)
                                .build());
                send(producer, Topics.INTERACTIONS, "u1", event("e1", "u1", "b", 2)); // in history
                send(producer, Topics.INTERACTIONS, "u2", event("e2", "u2", "a", 3));
                send(producer, Topics.INTERACTIONS, "u2", event("e3", "u2", "b", 0));
                send(producer, Topics.ITEM_SIDS, "a", sid("a", "space-2", 1, 2, 3, 0));
                send(producer, Topics.ITEM_SIDS, "b", sid("b", "space-2", 1, 2, 3, 1));
                send(producer, Topics.ITEM_SIDS, "a-old", sid("a-old", "space-1", 9, 9, 9, 0));
                send(producer, Topics.ITEM_SIDS, "c", sid("c", "space-2", 4, 5, 6, 0));
                send(producer, Topics.ITEM_SIDS, "c", null);
                producer.flush();
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int status =
                    SidstreamMain.run(
                            new String[] {
                                "export-training",
                                "--out",
                                dir.toString(),
                                "--bootstrap-servers",
                                cluster.bootstrapServers()
                            },
                            new PrintStream(bytes, true, StandardCharsets.UTF_8),
                            System.err);
            assertThat(status).as(bytes.toString(StandardCharsets.UTF_8)).isZero();
        }
        List<CatalogItem> catalog = Datasets.readCatalog(dir.resolve("catalog.jsonl"));
        assertThat(catalog).extracting(CatalogItem::itemId).containsExactly("a", "b");
        assertThat(catalog.get(0).categories()).containsExactly("Sci-Fi", "Thriller");

        List<Interaction> interactions =
                Datasets.readInteractions(dir.resolve("interactions.jsonl"));
        assertThat(interactions)
                .extracting(i -> i.userId() + ":" + i.itemId() + "@" + i.timestampMillis())
                .containsExactly(
                        "u2:b@" + at(0), "u1:a@" + at(1), "u1:b@" + at(2), "u2:a@" + at(3));

        assertThat(Files.readAllLines(dir.resolve("embeddings/items.tsv")))
                .extracting(l -> l.split("\t")[0])
                .containsExactly("a", "b");
        // The live SIDs of the space most of them are in: what a decoder-only retrain reuses.
        assertThat(Files.readAllLines(dir.resolve("item_sids.tsv")))
                .containsExactly("a\t1 2 3 0", "b\t1 2 3 1");
        float[][] vectors = Npy.read(dir.resolve("embeddings/embeddings.npy"));
        assertThat(vectors[1]).as("an item listed with a vector keeps it").containsExactly(own);
        assertThat(vectors[0]).hasSize(384).isNotEqualTo(own);
    }

    static long at(int hours) {
        return T.plusSeconds(3600L * hours).toEpochMilli();
    }

    static ItemEvent item(String id, String title, String... genres) {
        return ItemEvent.newBuilder()
                .setItemId(id)
                .setTitle(title)
                .setCategories(List.of(genres))
                .setEventTime(T)
                .build();
    }

    static ItemSid sid(String item, String space, Integer... codes) {
        return ItemSid.newBuilder()
                .setItemId(item)
                .setSid(List.of(codes))
                .setModelVersion(space)
                .setContentHash("h")
                .setItemEventTime(T)
                .setAssignedAt(T)
                .build();
    }

    static HistoryEntry entry(String item, int hours) {
        return HistoryEntry.newBuilder()
                .setItemId(item)
                .setSid(List.of(1, 2, 3, 0))
                .setEventTime(Instant.ofEpochMilli(at(hours)))
                .build();
    }

    static InteractionEvent event(String id, String user, String item, int hours) {
        return InteractionEvent.newBuilder()
                .setEventId(id)
                .setUserId(user)
                .setItemId(item)
                .setEventType(InteractionType.values()[0])
                .setEventTime(Instant.ofEpochMilli(at(hours)))
                .build();
    }

    static <V> void send(
            KafkaProducer<String, byte[]> producer, TopicSpec<String, V> topic, String key, V value)
            throws Exception {
        producer.send(
                        new ProducerRecord<>(
                                topic.name(),
                                key,
                                value == null
                                        ? null
                                        : topic.valueSerde()
                                                .serializer()
                                                .serialize(topic.name(), value)))
                .get();
    }
}
