package io.sidstream.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Assigned SIDs in, requests via Kafka and HTTP, recommendations of live items out. */
@Tag("integration")
@Timeout(300)
@ExtendWith(KafkaClusterExtension.class)
class RetrievalIT {
    static final Path BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldServeLiveItemsOverKafkaAndHttpAndPickUpFreshItems(KafkaCluster cluster)
            throws Exception {
        createServingTopics(cluster);
        ModelBundle bundle = ModelBundle.load(BUNDLE);
        Map<String, List<Integer>> sids = bundle.trainerItemSids();
        publishSids(cluster, sids);

        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", KafkaCluster.uniqueName("retrieval-it"));
        env.put("SIDSTREAM_BUNDLE_DIR", BUNDLE.toString());
        env.put("SIDSTREAM_EXECUTION_PROVIDER", "auto");
        env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
        try (RetrievalService service =
                RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(1))) {
            assertThat(service.index().size()).isEqualTo(sids.size());
            assertThat(service.executionProvider()).isEqualTo("cpu");
            List<String> history = sids.keySet().stream().sorted().limit(5).toList();

            // Via Kafka, plus one request over the server's limits that must land in the DLQ.
            try (var producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                            Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.RETRIEVAL_REQUESTS.name(),
                                "u1",
                                request("r1", history, sids, 64)));
                producer.send(
                        new ProducerRecord<>(
                                Topics.RETRIEVAL_REQUESTS.name(),
                                "u1",
                                request("r-too-wide", history, sids, 100_000)));
            }
            Recommendations viaKafka =
                    firstValue(cluster, Topics.RECOMMENDATIONS, Duration.ofSeconds(60));
            assertThat(viaKafka.getRequestId()).isEqualTo("r1");
            assertThat(viaKafka.getCandidates())
                    .hasSize(20)
                    .allSatisfy(
                            c -> {
                                assertThat(sids).containsEntry(c.getItemId(), c.getSid());
                                assertThat(history).doesNotContain(c.getItemId());
                            });
            DeadLetter rejected =
                    firstValue(cluster, Topics.RETRIEVAL_REQUESTS_DLQ, Duration.ofSeconds(30));
            assertThat(rejected.getErrorClass()).isEqualTo("INVALID_REQUEST");
            assertThat(rejected.getReason()).contains("beamWidth 100000 is outside [1, 1024]");

            // Hostile records on the request topic: a 32-byte record claiming a 2 GiB string and
            // a record just under the broker's size limit. Both are dead letters that fit the DLQ,
            // and the next request is still answered.
            byte[] valid =
                    Topics.RETRIEVAL_REQUESTS
                            .valueSerde()
                            .serializer()
                            .serialize("t", request("r-valid", history, sids, 64));
            byte[] bomb = io.sidstream.testkit.HostileRecords.stringLengthBomb(valid);
            byte[] huge = java.util.Arrays.copyOf(valid, 1_040_000);
            java.util.Arrays.fill(huge, valid.length, huge.length, (byte) 'x');
            try (var raw =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    new org.apache.kafka.common.serialization.StringSerializer(),
                                    new org.apache.kafka.common.serialization
                                            .ByteArraySerializer());
                    var producer =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                                    Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
                raw.send(new ProducerRecord<>(Topics.RETRIEVAL_REQUESTS.name(), "u9", bomb)).get();
                raw.send(new ProducerRecord<>(Topics.RETRIEVAL_REQUESTS.name(), "u9", huge)).get();
                producer.send(
                                new ProducerRecord<>(
                                        Topics.RETRIEVAL_REQUESTS.name(),
                                        "u9",
                                        request("r-after-bombs", history, sids, 64)))
                        .get();
            }
            List<DeadLetter> letters =
                    TopicReader.readAtLeast(
                                    cluster,
                                    Topics.RETRIEVAL_REQUESTS_DLQ.name(),
                                    Topics.RETRIEVAL_REQUESTS_DLQ.keySerde().deserializer(),
                                    Topics.RETRIEVAL_REQUESTS_DLQ.valueSerde().deserializer(),
                                    3,
                                    Duration.ofSeconds(60))
                            .stream()
                            .map(r -> r.value())
                            .toList();
            assertThat(letters.subList(1, 3))
                    .extracting(DeadLetter::getErrorClass)
                    .containsExactly("UNDECODABLE", "UNDECODABLE");
            assertThat(letters.get(1).getReason()).contains("claims 2147483639 bytes");
            assertThat(letters.get(2).getValueSize()).isEqualTo(huge.length);
            assertThat(letters.get(2).getValueTruncated()).isTrue();
            assertThat(
                            TopicReader.readAtLeast(
                                            cluster,
                                            Topics.RECOMMENDATIONS.name(),
                                            Topics.RECOMMENDATIONS.keySerde().deserializer(),
                                            Topics.RECOMMENDATIONS.valueSerde().deserializer(),
                                            2,
                                            Duration.ofSeconds(60))
                                    .stream()
                                    .map(r -> r.value().getRequestId()))
                    .contains("r-after-bombs");

            // Via HTTP.
            JsonNode http =
                    post(
                            service,
                            "{\"userId\":\"u2\",\"items\":"
                                    + JSON.writeValueAsString(history)
                                    + ",\"k\":10}");
            assertThat(http.path("candidates")).hasSize(10);
            http.path("candidates")
                    .forEach(c -> assertThat(sids).containsKey(c.path("itemId").asText()));
            // Steered by a sentence: the answer names the SID prefix the sentence maps to, and
            // with the hard include every candidate lies under its level-1 code.
            JsonNode steered =
                    post(
                            service,
                            "{\"userId\":\"u2\",\"items\":"
                                    + JSON.writeValueAsString(history)
                                    + ",\"k\":10,\"query\":\"Animation, Family\","
                                    + "\"queryInclude\":true}");
            assertThat(steered.path("query").path("sidPrefix")).hasSize(3);
            int queryCode = steered.path("query").path("sidPrefix").get(0).asInt();
            assertThat(steered.path("candidates"))
                    .isNotEmpty()
                    .allSatisfy(c -> assertThat(c.path("sid").get(0).asInt()).isEqualTo(queryCode));
            // The same sentence on a Kafka request lands on the same code.
            try (var producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                            Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
                RetrievalRequest textual = request("r-steered", history, sids, 64);
                textual.setQuery("Animation, Family");
                textual.setQueryInclude(true);
                producer.send(new ProducerRecord<>(Topics.RETRIEVAL_REQUESTS.name(), "u1", textual))
                        .get();
            }
            Recommendations kafkaSteered = null;
            long steerDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (kafkaSteered == null && System.nanoTime() < steerDeadline) {
                kafkaSteered =
                        TopicReader.readAll(
                                        cluster,
                                        Topics.RECOMMENDATIONS.name(),
                                        Topics.RECOMMENDATIONS.keySerde().deserializer(),
                                        Topics.RECOMMENDATIONS.valueSerde().deserializer(),
                                        Duration.ofSeconds(30))
                                .stream()
                                .map(r -> r.value())
                                .filter(v -> v != null && v.getRequestId().equals("r-steered"))
                                .findFirst()
                                .orElse(null);
            }
            assertThat(kafkaSteered).as("answer to the steered Kafka request").isNotNull();
            assertThat(kafkaSteered.getCandidates())
                    .isNotEmpty()
                    .allSatisfy(c -> assertThat(c.getSid().get(0)).isEqualTo(queryCode));
            assertThat(
                            post(service, "{\"userId\":\"u3\",\"items\":[\"no-such-item\"]}")
                                    .path("error")
                                    .asText())
                    .contains("no-such-item");

            // A freshly listed item under the best prefix becomes retrievable without a restart.
            // It shares that prefix's probability with the item already there (the prior's
            // P(item | prefix) splits it), so it is looked for in the top 50, not the top 10.
            List<Integer> best = new ArrayList<>();
            http.path("candidates").get(0).path("sid").forEach(n -> best.add(n.asInt()));
            List<Integer> freshSid = List.of(best.get(0), best.get(1), best.get(2), 250);
            try (var producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            Topics.ITEM_SIDS.keySerde().serializer(),
                            Topics.ITEM_SIDS.valueSerde().serializer())) {
                // Another bundle's SID for a new item: a different SID space, never indexed.
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(),
                                "foreign-1",
                                itemSid("foreign-1", freshSid, "another-bundle")));
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(), "fresh-1", itemSid("fresh-1", freshSid)));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean found = false;
            while (!found && System.nanoTime() < deadline) {
                JsonNode again =
                        post(
                                service,
                                "{\"userId\":\"u2\",\"items\":"
                                        + JSON.writeValueAsString(history)
                                        + ",\"k\":50}");
                for (JsonNode c : again.path("candidates")) {
                    found |= c.path("itemId").asText().equals("fresh-1");
                }
            }
            assertThat(found).as("fresh item recommended within 30 s").isTrue();
            long foreignDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String scraped = "";
            while (System.nanoTime() < foreignDeadline
                    && !scraped.matches(
                            "(?s).*sidstream_retrieval_index_foreign_bundle_total [1-9].*")) {
                scraped = metricsOf(service);
            }
            assertThat(scraped)
                    .containsPattern("sidstream_retrieval_index_foreign_bundle_total [1-9]");
            assertThat(service.index().sidOf("foreign-1")).as("another bundle's SID").isNull();

            String metrics = metricsOf(service);
            assertThat(metrics)
                    // Present, not exact: a batch read again after a transient failure counts
                    // again.
                    // Every series exists from the start; these ones have counted.
                    .containsPattern(
                            "sidstream_retrieval_requests_total\\{source=\"kafka\"\\} [1-9]")
                    .containsPattern(
                            "sidstream_retrieval_dlq_total\\{reason=\"invalid_request\"\\} [1-9]")
                    .containsPattern(
                            "sidstream_retrieval_dlq_total\\{reason=\"undecodable\"\\} [1-9]")
                    .contains("sidstream_retrieval_batch_size_count")
                    .contains("sidstream_retrieval_model_latency_seconds_count{call=\"step\"}")
                    .contains("sidstream_retrieval_index_items " + (sids.size() + 1) + ".0")
                    .contains("sidstream_retrieval_requests_lag ")
                    .contains("sidstream_retrieval_queue_depth ")
                    .contains("jvm_memory_used_bytes");
            assertThat(metrics.lines().filter(l -> l.startsWith("# HELP sidstream_")))
                    .as("every sidstream metric has help text")
                    .isNotEmpty()
                    .allMatch(l -> l.split(" ", 4).length == 4 && !l.split(" ", 4)[3].isBlank());
        }
    }

    /** The topics a retrieval-server reads and writes, two partitions each (one for the DLQ). */
    static void createServingTopics(KafkaCluster cluster) {
        cluster.createTopics(
                List.of(
                        Topics.ITEM_SIDS.toNewTopic(2, (short) 1),
                        Topics.RETRIEVAL_REQUESTS.toNewTopic(2, (short) 1),
                        Topics.RECOMMENDATIONS.toNewTopic(2, (short) 1),
                        Topics.RETRIEVAL_REQUESTS_DLQ.toNewTopic(1, (short) 1)));
    }

    /** Publishes these SIDs to {@code items.sid.v1}, as ingest-stream would. */
    static void publishSids(KafkaCluster cluster, Map<String, List<Integer>> sids) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEM_SIDS.keySerde().serializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer())) {
            sids.forEach(
                    (id, sid) ->
                            producer.send(
                                    new ProducerRecord<>(
                                            Topics.ITEM_SIDS.name(), id, itemSid(id, sid))));
        }
    }

    /** The version of the bundle the service under test serves: its SID space. */
    static final String SID_SPACE = ModelBundle.load(BUNDLE).sidSpace();

    private static ItemSid itemSid(String id, List<Integer> sid) {
        return itemSid(id, sid, SID_SPACE);
    }

    static ItemSid itemSid(String id, List<Integer> sid, String bundleVersion) {
        return ItemSid.newBuilder()
                .setItemId(id)
                .setSid(sid)
                .setModelVersion(bundleVersion)
                .setContentHash("h")
                .setItemEventTime(Instant.EPOCH)
                .setAssignedAt(Instant.now())
                .build();
    }

    static RetrievalRequest request(
            String id, List<String> history, Map<String, List<Integer>> sids, int beam) {
        List<HistoryEntry> entries = new ArrayList<>();
        for (String item : history) {
            entries.add(new HistoryEntry(item, sids.get(item), Instant.EPOCH));
        }
        return RetrievalRequest.newBuilder()
                .setRequestId(id)
                .setUserId("u1")
                .setHistory(entries)
                .setNumCandidates(20)
                .setBeamWidth(beam)
                .setRequestedAt(Instant.now())
                .build();
    }

    static String metricsOf(RetrievalService service) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://localhost:"
                                                        + service.httpPort()
                                                        + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static JsonNode post(RetrievalService service, String body) throws Exception {
        return new RetrievalClient("http://localhost:" + service.httpPort()).post(body).body();
    }

    private static <V> V firstValue(
            KafkaCluster cluster,
            io.sidstream.contracts.TopicSpec<String, V> spec,
            Duration timeout) {
        return TopicReader.readAtLeast(
                        cluster,
                        spec.name(),
                        spec.keySerde().deserializer(),
                        spec.valueSerde().deserializer(),
                        1,
                        timeout)
                .get(0)
                .value();
    }
}
