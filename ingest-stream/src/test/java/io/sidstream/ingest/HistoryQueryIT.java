package io.sidstream.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Two instances; every user's history is answered by either, routed to the owner when needed. */
@Tag("integration")
@Timeout(300)
@ExtendWith(KafkaClusterExtension.class)
class HistoryQueryIT {
    static final int USERS = 20;

    @Test
    void shouldAnswerEveryUsersHistoryFromEitherInstance(KafkaCluster cluster, @TempDir Path dir)
            throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("SIDSTREAM_INGEST_APPLICATION_ID", KafkaCluster.uniqueName("history-it"));
        env.put(
                "SIDSTREAM_BUNDLE_DIR",
                Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY).toString());
        env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
        env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
        env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "100");
        SharedTopics.ensure(cluster);
        // The SIDs of the bundle the services run: other bundles' SIDs never reach a history.
        String bundleVersion =
                ModelBundle.load(Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY)).sidSpace();
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEM_SIDS.keySerde().serializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer())) {
            for (int i = 0; i < 5; i++) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(),
                                "h" + i,
                                ItemSid.newBuilder()
                                        .setItemId("h" + i)
                                        .setSid(List.of(i, i, i, 0))
                                        .setModelVersion(bundleVersion)
                                        .setContentHash("c")
                                        .setItemEventTime(Instant.EPOCH)
                                        .setAssignedAt(Instant.EPOCH)
                                        .build()));
            }
        }
        Map<String, String> a = new HashMap<>(env);
        a.put("SIDSTREAM_STATE_DIR", dir.resolve("a").toString());
        Map<String, String> b = new HashMap<>(env);
        b.put("SIDSTREAM_STATE_DIR", dir.resolve("b").toString());
        try (IngestService first =
                        IngestService.start(IngestConfig.fromEnv(a), Duration.ofMinutes(2));
                IngestService second =
                        IngestService.start(IngestConfig.fromEnv(b), Duration.ofMinutes(2))) {
            try (var producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            Topics.INTERACTIONS.keySerde().serializer(),
                            Topics.INTERACTIONS.valueSerde().serializer())) {
                for (int u = 0; u < USERS; u++) {
                    for (int k = 0; k < 3; k++) {
                        producer.send(
                                new ProducerRecord<>(
                                        Topics.INTERACTIONS.name(),
                                        "user-" + u,
                                        InteractionEvent.newBuilder()
                                                .setEventId("e-" + u + "-" + k)
                                                .setUserId("user-" + u)
                                                .setItemId("h" + ((u + k) % 5))
                                                .setEventType(InteractionType.RATING)
                                                .setEventTime(Instant.now().minusSeconds(100 - k))
                                                .build()));
                    }
                }
            }
            TopicReader.readAtLeast(
                    cluster,
                    Topics.USER_HISTORIES.name(),
                    Serdes.String().deserializer(),
                    Topics.USER_HISTORIES.valueSerde().deserializer(),
                    USERS * 3,
                    Duration.ofSeconds(90));

            HttpClient http = HttpClient.newHttpClient();
            ObjectMapper json = new ObjectMapper();
            int routed = 0;
            for (int u = 0; u < USERS; u++) {
                String user = "user-" + u;
                var owner =
                        first.streams()
                                .queryMetadataForKey(
                                        IngestStores.USER_HISTORY,
                                        user,
                                        Serdes.String().serializer());
                routed += owner.activeHost().port() == first.httpPort() ? 0 : 1;
                HttpResponse<String> response =
                        http.send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://localhost:"
                                                                + first.httpPort()
                                                                + "/users/"
                                                                + user
                                                                + "/history"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                JsonNode body = json.readTree(response.body());
                assertThat(body.path("entries")).hasSize(3);
                assertThat(body.path("entries").get(2).path("itemId").asText())
                        .isEqualTo("h" + ((u + 2) % 5));
            }
            assertThat(routed)
                    .as("users owned by the second instance, answered through the first")
                    .isPositive();
            assertThat(
                            http.send(
                                            HttpRequest.newBuilder(
                                                            URI.create(
                                                                    "http://localhost:"
                                                                            + second.httpPort()
                                                                            + "/users/nobody/history"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                    .isEqualTo(404);
        }
    }
}
