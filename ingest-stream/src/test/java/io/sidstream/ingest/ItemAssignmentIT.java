package io.sidstream.ingest;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10,000 catalog items through two instances on a 4-partition topic; one instance (a separate JVM)
 * is killed with SIGKILL mid-run and restarted on its state directory. Afterwards every item has
 * exactly one SID, full SIDs are unique, prefixes match the trainer's codes, and both instances own
 * part of the work (asserted on where the state is, not on counters that redone work inflates).
 */
@Tag("integration")
@Timeout(600)
@ExtendWith(KafkaClusterExtension.class)
class ItemAssignmentIT {
    static final int ITEMS = 10_000;
    static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @Test
    void shouldAssignEveryItemExactlyOneUniqueSidAcrossACrashAndRestart(
            KafkaCluster cluster, @TempDir Path dir) throws Exception {
        SharedTopics.ensure(cluster);
        List<CatalogItem> catalog =
                Datasets.readCatalog(Path.of("..", "data", "movietweetings-100k", "movies.dat"))
                        .subList(0, ITEMS);
        produce(cluster, catalog);

        String app = KafkaCluster.uniqueName("ingest-it");
        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_INGEST_APPLICATION_ID", app);
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
        env.put("SIDSTREAM_MODEL_THREADS", "1");
        env.put("SIDSTREAM_KAFKA_SESSION_TIMEOUT_MS", "6000");
        env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "200");

        Map<String, String> inProcess = new HashMap<>(env);
        inProcess.put("SIDSTREAM_STATE_DIR", dir.resolve("a").toString());
        Map<String, String> child = new HashMap<>(env);
        child.put("SIDSTREAM_STATE_DIR", dir.resolve("b").toString());

        Map<String, List<List<Integer>>> seen = new HashMap<>();
        try (IngestService a =
                        IngestService.start(
                                IngestConfig.fromEnv(inProcess), Duration.ofMinutes(2));
                KafkaConsumer<String, ItemSid> sids = sidConsumer(cluster)) {
            Path logs = Files.createDirectories(Path.of("target", "it-logs"));
            Process b = ChildInstance.start(child, logs.resolve("ingest-b.log"));
            try {
                ChildInstance.awaitRunning(b, logs.resolve("ingest-b.log"));
                readUntil(sids, seen, ITEMS / 3, Duration.ofMinutes(4));
                b.destroyForcibly().waitFor();
                b = ChildInstance.start(child, logs.resolve("ingest-b-restarted.log"));
                ChildInstance.awaitRunning(b, logs.resolve("ingest-b-restarted.log"));
                readUntil(sids, seen, ITEMS, Duration.ofMinutes(6));
                // While both run, the work is shared: the in-process instance holds some items'
                // state and not others'. (A counter of assignments would also count work redone
                // after the crash.)
                assertLocalSidEndpoint(a, seen);
            } finally {
                b.destroyForcibly().waitFor();
            }
        }

        assertThat(seen).hasSize(ITEMS);
        Set<List<Integer>> unique = new HashSet<>();
        for (Map.Entry<String, List<List<Integer>>> e : seen.entrySet()) {
            assertThat(new HashSet<>(e.getValue()))
                    .as("item %s never gets two different SIDs", e.getKey())
                    .hasSize(1);
            assertThat(unique.add(e.getValue().get(0)))
                    .as("full SID %s of %s is unique", e.getValue().get(0), e.getKey())
                    .isTrue();
        }
        Map<String, List<Integer>> trainer = trainerPrefixes();
        long equal =
                seen.entrySet().stream()
                        .filter(
                                e ->
                                        e.getValue()
                                                .get(0)
                                                .subList(0, 3)
                                                .equals(trainer.get(e.getKey())))
                        .count();
        // The same text, embedder and ONNX graph as the trainer; only argmin near-ties between
        // PyTorch and ONNX Runtime arithmetic may differ.
        assertThat(equal).isGreaterThanOrEqualTo((long) (ITEMS * 0.99));
    }

    /** GET /items/{id}/sid answers from the local store: 200 with the SID, or 404 elsewhere. */
    private static void assertLocalSidEndpoint(
            IngestService a, Map<String, List<List<Integer>>> seen) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        int found = 0;
        int elsewhere = 0;
        for (String id : seen.keySet().stream().sorted().limit(40).toList()) {
            HttpResponse<String> response =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://localhost:"
                                                            + a.httpPort()
                                                            + "/items/"
                                                            + id
                                                            + "/sid"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isIn(200, 404);
            if (response.statusCode() == 404) {
                elsewhere++;
            }
            if (response.statusCode() == 200) {
                found++;
                assertThat(response.body().replace(" ", ""))
                        .contains("\"sid\":" + seen.get(id).get(0).toString().replace(" ", ""));
            }
        }
        assertThat(found).as("items owned by the in-process instance").isPositive();
        assertThat(elsewhere).as("items owned by the other instance").isPositive();
    }

    private static void produce(KafkaCluster cluster, List<CatalogItem> catalog) throws Exception {
        Properties props = cluster.clientProperties();
        props.put(ProducerConfig.LINGER_MS_CONFIG, "10");
        try (var producer =
                new KafkaProducer<>(
                        props,
                        Topics.ITEMS.keySerde().serializer(),
                        Topics.ITEMS.valueSerde().serializer())) {
            for (CatalogItem item : catalog) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEMS.name(),
                                item.itemId(),
                                ItemEvent.newBuilder()
                                        .setItemId(item.itemId())
                                        .setTitle(item.title())
                                        .setCategories(item.categories())
                                        .setEventTime(Instant.parse("2013-03-01T00:00:00Z"))
                                        .build()));
            }
            producer.flush();
        }
    }

    private static KafkaConsumer<String, ItemSid> sidConsumer(KafkaCluster cluster) {
        return TopicReader.committedConsumer(
                cluster,
                Topics.ITEM_SIDS.name(),
                new StringDeserializer(),
                Topics.ITEM_SIDS.valueSerde().deserializer());
    }

    private static void readUntil(
            KafkaConsumer<String, ItemSid> consumer,
            Map<String, List<List<Integer>>> seen,
            int items,
            Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (seen.size() < items && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, ItemSid> r : consumer.poll(Duration.ofMillis(500))) {
                if (!r.key().matches("\\d{7}")) {
                    continue; // another test's items on the shared topic
                }
                seen.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getSid());
            }
        }
        assertThat(seen.size())
                .as("items with a SID after %s", timeout)
                .isGreaterThanOrEqualTo(items);
    }

    private static Map<String, List<Integer>> trainerPrefixes() {
        Map<String, List<Integer>> out = new HashMap<>();
        ModelBundle.load(BUNDLE)
                .trainerItemSids()
                .forEach((id, sid) -> out.put(id, sid.subList(0, 3)));
        return out;
    }
}
