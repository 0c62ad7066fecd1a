package io.sidstream.ingest;

import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SemanticEncoder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An exception nobody classified (here: the model throwing something that is not a model error)
 * shuts the instance down instead of replacing the stream thread and failing on the same record
 * forever: the service reports its failure (so its main exits non-zero), Kafka Streams ends in
 * ERROR, liveness turns DOWN, and the failing call was not repeated in a loop.
 */
@Tag("integration")
@Timeout(180)
class StreamThreadFailureIT {
    @Test
    void shouldShutDownOnAnUnclassifiedFailureInsteadOfLooping(@TempDir Path dir) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        SemanticEncoder broken =
                new SemanticEncoder() {
                    @Override
                    public String modelVersion() {
                        return "broken-1";
                    }

                    @Override
                    public int levels() {
                        return 3;
                    }

                    @Override
                    public int codebookSize() {
                        return 256;
                    }

                    @Override
                    public int collisionCodes() {
                        return 256;
                    }

                    @Override
                    public int embeddingDimension() {
                        return 384;
                    }

                    @Override
                    public int[][] semanticCodes(List<ItemContent> items) {
                        calls.incrementAndGet();
                        throw new IllegalStateException("native session closed under us");
                    }

                    @Override
                    public void close() {}
                };
        try (KafkaCluster cluster = EmbeddedKraftCluster.start()) {
            try (var admin = cluster.admin()) {
                TopicAdmin.createMissing(
                        admin,
                        IngestService.REQUIRED_TOPICS.stream()
                                .map(t -> t.toNewTopic(2, (short) 1))
                                .toList());
            }
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_INGEST_APPLICATION_ID", "failure-it");
            env.put(
                    "SIDSTREAM_BUNDLE_DIR",
                    Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY).toString());
            env.put("SIDSTREAM_STATE_DIR", dir.toString());
            env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            try (IngestService ingest =
                            IngestService.start(
                                    IngestConfig.fromEnv(env), Duration.ofMinutes(2), broken);
                    var producer =
                            new KafkaProducer<>(
                                    cluster.clientProperties(),
                                    Topics.ITEMS.keySerde().serializer(),
                                    Topics.ITEMS.valueSerde().serializer())) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEMS.name(),
                                "i1",
                                ItemEvent.newBuilder()
                                        .setItemId("i1")
                                        .setTitle("Anything (2013)")
                                        .setEventTime(Instant.now())
                                        .build()));
                producer.flush();

                String reason = ingest.failure().get(90, TimeUnit.SECONDS);
                assertThat(reason).contains("native session closed under us");
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (ingest.streams().state() != KafkaStreams.State.ERROR
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(ingest.streams().state()).isEqualTo(KafkaStreams.State.ERROR);
                HttpResponse<String> live =
                        HttpClient.newHttpClient()
                                .send(
                                        HttpRequest.newBuilder(
                                                        URI.create(
                                                                "http://localhost:"
                                                                        + ingest.httpPort()
                                                                        + "/health/live"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString());
                assertThat(live.statusCode()).isEqualTo(503);
                int after = calls.get();
                Thread.sleep(2_000);
                assertThat(calls.get()).as("no retry loop after the shutdown").isEqualTo(after);
            }
        }
    }
}
