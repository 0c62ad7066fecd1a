package io.sidstream.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decoder-only updates while requests flow over HTTP and Kafka, on a real broker: a candidate of
 * the served SID space is scored in shadow, swapped in, and rolled back. No request fails or is
 * lost; every answer names the bundle whose decoder produced it and is that decoder's answer; a
 * request sent after a swap returned is answered by the new decoder; a bundle of another SID space
 * is refused and changes nothing.
 */
@Tag("integration")
@Timeout(300)
class DecoderSwapIT {
    static final ObjectMapper JSON = new ObjectMapper();

    /** One HTTP answer: when its request left, when the answer came, and what it said. */
    record Answer(long sentNanos, long doneNanos, int status, String version, List<String> ids) {}

    @Test
    void shouldScoreInShadowSwapAndRollBackTheDecoderWithoutFailingARequest(@TempDir Path dir)
            throws Exception {
        ModelBundle original = ModelBundle.load(DecoderUpdateFixture.DEFAULT);
        Path update = DecoderUpdateFixture.writeTo(dir.resolve("update"));
        String v1 = original.version();
        String v2 = ModelBundle.load(update).version();
        assertThat(v2).isNotEqualTo(v1);
        Path otherSpace = DecoderUpdateFixture.writeTo(dir.resolve("other-space"));
        ObjectNode manifest =
                (ObjectNode) JSON.readTree(otherSpace.resolve("manifest.json").toFile());
        manifest.put("sidSpace", "another-rq-vae");
        JSON.writeValue(otherSpace.resolve("manifest.json").toFile(), manifest);

        Map<String, List<Integer>> sids = original.trainerItemSids();
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            RetrievalIT.createServingTopics(cluster);
            RetrievalIT.publishSids(cluster, sids);
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "retrieval-decoder-swap");
            env.put("SIDSTREAM_BUNDLE_DIR", DecoderUpdateFixture.DEFAULT.toString());
            env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
            env.put("SIDSTREAM_RETRIEVAL_TEXT_QUERIES", "false");
            // Without the live prior (and its clock) every answer depends on the decoder alone.
            env.put("SIDSTREAM_PRIOR_WEIGHT", "0");
            try (RetrievalService service =
                    RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(1))) {
                String base = "http://localhost:" + service.httpPort();
                RetrievalClient client = new RetrievalClient(base);
                // Longer than the update's 10 history items: it reads less of it, too.
                List<String> history = sids.keySet().stream().sorted().limit(14).toList();
                String query =
                        "{\"userId\":\"u1\",\"k\":10,\"items\":"
                                + JSON.writeValueAsString(history)
                                + "}";
                RetrievalClient.Answer first = client.post(query);
                assertThat(first.body().path("modelVersion").asText()).isEqualTo(v1);
                List<String> answerOfV1 = first.itemIds();

                Admin refused = admin(base, "POST", "/admin/decoder", bundleBody(otherSpace));
                assertThat(refused.status()).isEqualTo(409);
                assertThat(refused.body().path("error").asText())
                        .contains("its SID space is another-rq-vae");
                assertThat(service.servingVersion()).isEqualTo(v1);

                ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
                AtomicBoolean stop = new AtomicBoolean();
                Thread http =
                        new Thread(
                                () -> {
                                    while (!stop.get()) {
                                        long sent = System.nanoTime();
                                        try {
                                            RetrievalClient.Answer a = client.post(query);
                                            answers.add(
                                                    new Answer(
                                                            sent,
                                                            System.nanoTime(),
                                                            a.status(),
                                                            a.body().path("modelVersion").asText(),
                                                            a.ok() ? a.itemIds() : List.of()));
                                        } catch (Exception e) {
                                            answers.add(
                                                    new Answer(
                                                            sent,
                                                            System.nanoTime(),
                                                            -1,
                                                            e.toString(),
                                                            List.of()));
                                        }
                                    }
                                },
                                "http-traffic");
                List<String> kafkaIds = new ArrayList<>();
                Thread kafka =
                        new Thread(
                                () -> {
                                    try (var producer =
                                            new KafkaProducer<>(
                                                    cluster.clientProperties(),
                                                    Topics.RETRIEVAL_REQUESTS
                                                            .keySerde()
                                                            .serializer(),
                                                    Topics.RETRIEVAL_REQUESTS
                                                            .valueSerde()
                                                            .serializer())) {
                                        for (int i = 0; !stop.get(); i++) {
                                            String id = "k-" + i;
                                            producer.send(
                                                    new ProducerRecord<>(
                                                            Topics.RETRIEVAL_REQUESTS.name(),
                                                            "u" + (i % 7),
                                                            RetrievalIT.request(
                                                                    id, history, sids, 64)));
                                            synchronized (kafkaIds) {
                                                kafkaIds.add(id);
                                            }
                                            Thread.sleep(25);
                                        }
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                },
                                "kafka-traffic");
                http.start();
                kafka.start();

                Admin shadow =
                        admin(
                                base,
                                "POST",
                                "/admin/shadow",
                                "{\"bundleDir\":"
                                        + JSON.writeValueAsString(update.toString())
                                        + ",\"samplePercent\":100}");
                assertThat(shadow.status()).as(shadow.body().toString()).isEqualTo(200);
                awaitTrue(() -> shadowScored(base) >= 20, "20 requests scored in shadow");

                long swapStart = System.nanoTime();
                Admin swapped = admin(base, "POST", "/admin/decoder", bundleBody(update));
                long swapEnd = System.nanoTime();
                assertThat(swapped.status()).as(swapped.body().toString()).isEqualTo(200);
                assertThat(swapped.body().path("serving").asText()).isEqualTo(v2);
                assertThat(swapped.body().path("replaced").asText()).isEqualTo(v1);
                awaitTrue(
                        () -> answers.stream().filter(a -> a.sentNanos() > swapEnd).count() >= 10,
                        "10 answers after the swap");

                long rollbackStart = System.nanoTime();
                Admin rolledBack =
                        admin(
                                base,
                                "POST",
                                "/admin/decoder",
                                bundleBody(DecoderUpdateFixture.DEFAULT));
                long rollbackEnd = System.nanoTime();
                assertThat(rolledBack.status()).isEqualTo(200);
                assertThat(rolledBack.body().path("serving").asText()).isEqualTo(v1);
                awaitTrue(
                        () ->
                                answers.stream().filter(a -> a.sentNanos() > rollbackEnd).count()
                                        >= 10,
                        "10 answers after the rollback");
                stop.set(true);
                http.join(30_000);
                kafka.join(30_000);

                // The shadow candidate: real overlap figures, nothing invalid on either side.
                JsonNode stats = admin(base, "GET", "/admin/models", null).body().path("shadow");
                assertThat(stats.path("candidate").asText()).isEqualTo(v2);
                assertThat(stats.path("failed").asLong()).isZero();
                assertThat(stats.path("liveInvalid").asLong()).isZero();
                assertThat(stats.path("candidateInvalid").asLong()).isZero();
                assertThat(stats.path("meanOverlap").asDouble()).isBetween(0.0, 1.0);
                assertThat(metricsOf(base))
                        .contains("sidstream_retrieval_shadow_overlap_count{bundle=\"" + v2 + "\"")
                        .contains(
                                "sidstream_retrieval_bundle_search_latency_seconds_count{bundle=\""
                                        + v2
                                        + "\",engine=\"levels\",role=\"live\"");
                Admin stopped = admin(base, "DELETE", "/admin/shadow", null);
                assertThat(stopped.body().path("stopped").path("scored").asLong())
                        .isGreaterThanOrEqualTo(20);

                // Every HTTP request answered, each by the decoder it names.
                List<Answer> all = List.copyOf(answers);
                assertThat(all)
                        .allSatisfy(a -> assertThat(a.status()).as(a.version()).isEqualTo(200));
                List<String> answerOfV2 =
                        all.stream()
                                .filter(
                                        a ->
                                                a.sentNanos() > swapEnd
                                                        && a.doneNanos() < rollbackStart)
                                .findFirst()
                                .orElseThrow()
                                .ids();
                assertThat(shared(answerOfV1, answerOfV2))
                        .as("the update is another decoder: its answer differs")
                        .isLessThan(8);
                for (Answer a : all) {
                    if (a.doneNanos() < swapStart || a.sentNanos() > rollbackEnd) {
                        assertThat(a.version()).isEqualTo(v1);
                    } else if (a.sentNanos() > swapEnd && a.doneNanos() < rollbackStart) {
                        assertThat(a.version()).isEqualTo(v2);
                    }
                    assertThat(a.version()).isIn(v1, v2);
                    assertThat(shared(a.ids(), a.version().equals(v1) ? answerOfV1 : answerOfV2))
                            .as("an answer named %s is that decoder's", a.version())
                            .isGreaterThanOrEqualTo(8);
                }

                // Every Kafka request answered once, by a bundle it names, with live SIDs only.
                Set<String> expected;
                synchronized (kafkaIds) {
                    expected = new HashSet<>(kafkaIds);
                }
                Map<String, String> versionOf = new HashMap<>();
                awaitTrue(
                        () -> {
                            versionOf.clear();
                            for (ConsumerRecord<String, Recommendations> r :
                                    TopicReader.readAll(
                                            cluster,
                                            Topics.RECOMMENDATIONS.name(),
                                            Topics.RECOMMENDATIONS.keySerde().deserializer(),
                                            Topics.RECOMMENDATIONS.valueSerde().deserializer(),
                                            Duration.ofSeconds(30))) {
                                Recommendations rec = r.value();
                                if (expected.contains(rec.getRequestId())) {
                                    assertThat(
                                                    versionOf.put(
                                                            rec.getRequestId(),
                                                            rec.getModelVersion()))
                                            .as("answered once: " + rec.getRequestId())
                                            .isNull();
                                    assertThat(rec.getCandidates())
                                            .allSatisfy(
                                                    c ->
                                                            assertThat(sids)
                                                                    .containsEntry(
                                                                            c.getItemId(),
                                                                            c.getSid()));
                                }
                            }
                            return versionOf.keySet().equals(expected);
                        },
                        "every Kafka request answered");
                assertThat(new HashSet<>(versionOf.values())).isSubsetOf(v1, v2).contains(v1);
                assertThat(service.servingVersion()).isEqualTo(v1);
            }
        }
    }

    private static int shared(List<String> a, List<String> b) {
        Set<String> s = new HashSet<>(a);
        return (int) b.stream().filter(s::contains).count();
    }

    private static String bundleBody(Path bundle) throws Exception {
        return "{\"bundleDir\":" + JSON.writeValueAsString(bundle.toString()) + "}";
    }

    private static long shadowScored(String base) {
        try {
            return admin(base, "GET", "/admin/models", null)
                    .body()
                    .path("shadow")
                    .path("scored")
                    .asLong();
        } catch (Exception e) {
            return -1;
        }
    }

    record Admin(int status, JsonNode body) {}

    static Admin admin(String base, String method, String path, String body) throws Exception {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        request.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response =
                HttpClient.newHttpClient()
                        .send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Admin(response.statusCode(), JSON.readTree(response.body()));
    }

    private static String metricsOf(String base) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }
}
