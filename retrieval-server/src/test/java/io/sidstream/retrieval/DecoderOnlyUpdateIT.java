package io.sidstream.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.http.RetrievalClient;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A decoder-only update (a retrained decoder over the same encoder and item SIDs, as {@code
 * train.py --reuse-sids} builds it) serves the SIDs already on {@code items.sid.v1}: its SID space
 * is the reused bundle's, so nothing has to be tokenized again, while its answers name the new
 * bundle. A SID stamped with the update's own version is another SID space, and skipped.
 */
@Tag("integration")
@Timeout(180)
class DecoderOnlyUpdateIT {
    static final Path DEFAULT = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldServeTheSidsOfTheSpaceItReusesAndNameItselfOnEveryAnswer(@TempDir Path dir)
            throws Exception {
        ModelBundle original = ModelBundle.load(DEFAULT);
        Path update = dir.resolve("update");
        Files.createDirectories(update);
        try (Stream<Path> files = Files.list(DEFAULT)) {
            for (Path f : files.toList()) {
                Files.copy(f, update.resolve(f.getFileName()));
            }
        }
        ObjectNode manifest = (ObjectNode) JSON.readTree(update.resolve("manifest.json").toFile());
        String updateVersion = original.version() + "-decoder-update";
        manifest.put("bundleVersion", updateVersion);
        manifest.put("sidSpace", original.sidSpace());
        JSON.writeValue(update.resolve("manifest.json").toFile(), manifest);
        assertThat(ModelBundle.load(update).sidSpace()).isEqualTo(original.sidSpace());

        Map<String, List<Integer>> sids = original.trainerItemSids();
        // A broker of its own: the module's other ITs share fixed topic names.
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            RetrievalIT.createServingTopics(cluster);
            List<Integer> someSid = sids.values().iterator().next();
            // As ingest-stream on the original bundle published them.
            RetrievalIT.publishSids(cluster, sids);
            try (var producer =
                    new KafkaProducer<>(
                            cluster.clientProperties(),
                            Topics.ITEM_SIDS.keySerde().serializer(),
                            Topics.ITEM_SIDS.valueSerde().serializer())) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(),
                                "stamped-with-the-update",
                                RetrievalIT.itemSid(
                                        "stamped-with-the-update", someSid, updateVersion)));
            }
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "retrieval-decoder-update");
            env.put("SIDSTREAM_BUNDLE_DIR", update.toString());
            env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
            env.put("SIDSTREAM_PRIOR_WEIGHT", "0");
            try (RetrievalService service =
                    RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(1))) {
                assertThat(service.index().size()).isEqualTo(sids.size());
                assertThat(service.index().sidOf("stamped-with-the-update")).isNull();
                List<String> history = sids.keySet().stream().sorted().limit(5).toList();
                JsonNode answer =
                        new RetrievalClient("http://localhost:" + service.httpPort())
                                .post(
                                        "{\"userId\":\"u1\",\"items\":"
                                                + JSON.writeValueAsString(history)
                                                + ",\"k\":10}")
                                .body();
                assertThat(answer.path("modelVersion").asText()).isEqualTo(updateVersion);
                assertThat(answer.path("candidates")).hasSize(10);
                answer.path("candidates")
                        .forEach(c -> assertThat(sids).containsKey(c.path("itemId").asText()));
            }
        }
    }
}
