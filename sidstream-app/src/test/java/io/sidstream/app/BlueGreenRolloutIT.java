package io.sidstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blue/green rollout of a bundle with a new RQ-VAE, on a real broker, while HTTP and Kafka requests
 * flow: an ingest-stream in retokenize mode gives every item of the live catalog a SID of the new
 * space (following changes made meanwhile), a retrieval instance of that space answers nothing
 * until its index covers the catalog, then takes the traffic (the Service switch for HTTP, the
 * request group for Kafka), and the old one takes it back. No request fails or is lost, and every
 * result holds only SIDs of the bundle it names.
 */
@Tag("integration")
@Timeout(420)
class BlueGreenRolloutIT {
    static final int ITEMS = 200;
    static final int USERS = 10;
    static final Path DEFAULT = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    /** One HTTP answer: when its request left, and what it said. */
    record Answer(long sentNanos, int status, String version, Map<String, List<Integer>> items) {}

    @Test
    void shouldRollOutANewSidSpaceAndRollBackWithoutFailingOrLosingARequest(@TempDir Path dir)
            throws Exception {
        Path green = copyOfResource("/bundle-new-space", dir.resolve("green-bundle"));
        String v1 = ModelBundle.load(DEFAULT).version();
        String v2 = ModelBundle.load(green).version();
        assertThat(ModelBundle.load(green).sidSpace()).isNotEqualTo(v1);
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            cluster.createTopics(
                    Topics.all().stream().map(t -> t.toNewTopic(2, (short) 1)).toList());
            Map<String, String> common = new HashMap<>();
            common.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            common.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "100");

            Map<String, String> blueIngestEnv = new HashMap<>(common);
            blueIngestEnv.put("SIDSTREAM_INGEST_APPLICATION_ID", "ingest-blue");
            blueIngestEnv.put("SIDSTREAM_BUNDLE_DIR", DEFAULT.toString());
            blueIngestEnv.put("SIDSTREAM_STATE_DIR", dir.resolve("state-blue").toString());
            blueIngestEnv.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            blueIngestEnv.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
            try (IngestService blueIngest =
                    IngestService.start(
                            IngestConfig.fromEnv(blueIngestEnv), Duration.ofMinutes(2))) {
                Map<String, String> retrievalEnv = new HashMap<>(common);
                retrievalEnv.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "retrieval");
                retrievalEnv.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
                retrievalEnv.put("SIDSTREAM_RETRIEVAL_TEXT_QUERIES", "false");
                retrievalEnv.put("SIDSTREAM_PRIOR_WEIGHT", "0");
                retrievalEnv.put(
                        "SIDSTREAM_INGEST_URL", "http://localhost:" + blueIngest.httpPort());
                Map<String, String> blueEnv = new HashMap<>(retrievalEnv);
                blueEnv.put("SIDSTREAM_BUNDLE_DIR", DEFAULT.toString());
                Map<String, String> greenEnv = new HashMap<>(retrievalEnv);
                greenEnv.put("SIDSTREAM_BUNDLE_DIR", green.toString());
                greenEnv.put("SIDSTREAM_RETRIEVAL_INDEX_SOURCE", "own-space");

                Random random = new Random(11);
                try (KafkaProducer<String, byte[]> producer =
                        new KafkaProducer<>(
                                cluster.clientProperties(),
                                new StringSerializer(),
                                new ByteArraySerializer())) {
                    for (int i = 0; i < ITEMS; i++) {
                        ExportTrainingIT.send(
                                producer, Topics.ITEMS, "i" + i, item("i" + i, random));
                    }
                    for (int u = 0; u < USERS; u++) {
                        for (int j = 0; j < 6; j++) {
                            ExportTrainingIT.send(
                                    producer,
                                    Topics.INTERACTIONS,
                                    "u" + u,
                                    event("u" + u, "i" + ((u * 17 + j * 5) % ITEMS), j));
                        }
                    }
                }
                RetrievalService blue =
                        RetrievalService.start(
                                RetrievalConfig.fromEnv(blueEnv), Duration.ofMinutes(1));
                RetrievalService greenService = null;
                boolean blueOpen = true;
                try {
                    awaitTrue(() -> blue.index().size() == ITEMS, "blue indexes every item");
                    AtomicReference<String> service =
                            new AtomicReference<>("http://localhost:" + blue.httpPort());
                    AtomicReference<String> lastAnswer = new AtomicReference<>();
                    awaitTrue(
                            () -> {
                                try {
                                    JsonNode body =
                                            new RetrievalClient(service.get())
                                                    .post(
                                                            "{\"userId\":\"u"
                                                                    + (USERS - 1)
                                                                    + "\",\"k\":10}")
                                                    .body();
                                    lastAnswer.set(body.toString());
                                    return body.path("historyLength").asInt() == 6;
                                } catch (Exception e) {
                                    lastAnswer.set(e.toString());
                                    return false;
                                }
                            },
                            () -> "stored histories; last answer " + lastAnswer.get());

                    ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
                    List<String> kafkaIds = new ArrayList<>();
                    AtomicBoolean stop = new AtomicBoolean();
                    Thread http =
                            new Thread(() -> httpTraffic(service, answers, stop), "http-traffic");
                    Thread kafka =
                            new Thread(
                                    () -> kafkaTraffic(cluster, kafkaIds, stop), "kafka-traffic");
                    http.start();
                    kafka.start();

                    Map<String, String> greenIngestEnv = new HashMap<>(common);
                    greenIngestEnv.put("SIDSTREAM_INGEST_APPLICATION_ID", "ingest-green");
                    greenIngestEnv.put("SIDSTREAM_INGEST_MODE", "retokenize");
                    greenIngestEnv.put("SIDSTREAM_BUNDLE_DIR", green.toString());
                    greenIngestEnv.put(
                            "SIDSTREAM_STATE_DIR", dir.resolve("state-green").toString());
                    greenIngestEnv.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
                    try (IngestService greenIngest =
                            IngestService.start(
                                    IngestConfig.fromEnv(greenIngestEnv), Duration.ofMinutes(2))) {
                        // The catalog changes while it is re-tokenized: both spaces follow.
                        try (KafkaProducer<String, byte[]> producer =
                                new KafkaProducer<>(
                                        cluster.clientProperties(),
                                        new StringSerializer(),
                                        new ByteArraySerializer())) {
                            ExportTrainingIT.send(producer, Topics.ITEMS, "i0", null);
                            ExportTrainingIT.send(
                                    producer, Topics.ITEMS, "new-1", item("new-1", random));
                        }
                        greenService =
                                RetrievalService.start(
                                        RetrievalConfig.fromEnv(greenEnv), Duration.ofMinutes(2));
                        Instant covered = greenService.coveredAt();
                        assertThat(covered)
                                .as("green covers the catalog before it answers")
                                .isNotNull();
                        RetrievalService g = greenService;
                        awaitTrue(
                                () ->
                                        g.index().sidOf("new-1") != null
                                                && g.index().sidOf("i0") == null,
                                "green follows the catalog's changes");
                        assertThat(greenService.index().size()).isEqualTo(ITEMS);
                        RetrievalClient.Answer sidHistory =
                                new RetrievalClient("http://localhost:" + greenService.httpPort())
                                        .post("{\"userId\":\"u1\",\"history\":[[1,2,3,0]]}");
                        assertThat(sidHistory.status())
                                .as("SIDs of the shared space cannot be decoded in this one")
                                .isEqualTo(400);

                        // Switch: the Service routes to green, then blue leaves the request group.
                        long switched = System.nanoTime();
                        service.set("http://localhost:" + greenService.httpPort());
                        awaitTrue(() -> after(answers, switched) >= 1, "an answer from green");
                        blue.close();
                        blueOpen = false;
                        awaitTrue(() -> after(answers, switched) >= 15, "green answers");

                        // Roll back: blue starts again and takes the traffic back.
                        RetrievalService blueAgain =
                                RetrievalService.start(
                                        RetrievalConfig.fromEnv(blueEnv), Duration.ofMinutes(1));
                        try {
                            long rolledBack = System.nanoTime();
                            service.set("http://localhost:" + blueAgain.httpPort());
                            awaitTrue(() -> after(answers, rolledBack) >= 1, "an answer from blue");
                            greenService.close();
                            greenService = null;
                            awaitTrue(() -> after(answers, rolledBack) >= 15, "blue answers again");
                            stop.set(true);
                            http.join(30_000);
                            kafka.join(30_000);

                            List<Answer> all = List.copyOf(answers);
                            assertThat(all).allSatisfy(a -> assertThat(a.status()).isEqualTo(200));
                            for (Answer a : all) {
                                if (a.sentNanos() > rolledBack) {
                                    assertThat(a.version()).isEqualTo(v1);
                                } else if (a.sentNanos() > switched) {
                                    assertThat(a.version()).isEqualTo(v2);
                                } else {
                                    assertThat(a.version()).isEqualTo(v1);
                                }
                            }
                            assertThat(all).anyMatch(a -> a.version().equals(v2));

                            Map<String, Set<List<Integer>>> everInV1 =
                                    everPublished(cluster, Topics.ITEM_SIDS);
                            Map<String, Set<List<Integer>>> everInV2 =
                                    everPublished(cluster, Topics.spaceSids(v2SpaceOf(green)));
                            for (Answer a : all) {
                                Map<String, Set<List<Integer>>> space =
                                        a.version().equals(v1) ? everInV1 : everInV2;
                                a.items()
                                        .forEach(
                                                (id, sid) ->
                                                        assertThat(space.get(id))
                                                                .as("%s of %s", id, a.version())
                                                                .contains(sid));
                            }

                            // Every Kafka request answered once, by a bundle it names, in its SIDs.
                            Set<String> expected;
                            synchronized (kafkaIds) {
                                expected = new HashSet<>(kafkaIds);
                            }
                            Map<String, Recommendations> byRequest = new HashMap<>();
                            awaitTrue(
                                    () -> {
                                        byRequest.clear();
                                        for (ConsumerRecord<String, Recommendations> r :
                                                read(cluster, Topics.RECOMMENDATIONS)) {
                                            if (expected.contains(r.value().getRequestId())) {
                                                assertThat(
                                                                byRequest.put(
                                                                        r.value().getRequestId(),
                                                                        r.value()))
                                                        .as("answered once")
                                                        .isNull();
                                            }
                                        }
                                        return byRequest.keySet().equals(expected);
                                    },
                                    "every Kafka request answered");
                            Set<String> kafkaVersions = new HashSet<>();
                            for (Recommendations rec : byRequest.values()) {
                                kafkaVersions.add(rec.getModelVersion());
                                Map<String, Set<List<Integer>>> space =
                                        rec.getModelVersion().equals(v1) ? everInV1 : everInV2;
                                assertThat(rec.getModelVersion()).isIn(v1, v2);
                                if (rec.getModelVersion().equals(v2)) {
                                    assertThat(rec.getReceivedAt()).isAfterOrEqualTo(covered);
                                }
                                rec.getCandidates()
                                        .forEach(
                                                c ->
                                                        assertThat(space.get(c.getItemId()))
                                                                .contains(c.getSid()));
                            }
                            assertThat(kafkaVersions).contains(v1, v2);

                            // Every live item has exactly one SID in the new space, no two alike.
                            Map<String, List<Integer>> v2Table =
                                    latest(cluster, Topics.spaceSids(v2SpaceOf(green)));
                            Set<String> live = new HashSet<>();
                            for (int i = 1; i < ITEMS; i++) {
                                live.add("i" + i);
                            }
                            live.add("new-1");
                            assertThat(v2Table.keySet()).isEqualTo(live);
                            assertThat(new HashSet<>(v2Table.values())).hasSize(live.size());

                            assertThat(retire(cluster, v2SpaceOf(green)))
                                    .as("refused while the re-tokenizer runs")
                                    .isNotZero();
                        } finally {
                            blueAgain.close();
                        }
                    }
                    // Rolled back: the green space is retired, the shared one stays.
                    assertThat(retire(cluster, v2SpaceOf(green))).isZero();
                    try (Admin admin = Admin.create(cluster.clientProperties())) {
                        Set<String> topics = admin.listTopics().names().get();
                        assertThat(topics)
                                .contains(Topics.ITEM_SIDS.name(), "ingest-blue-sid-confirmations")
                                .doesNotContain(Topics.spaceSids(v2SpaceOf(green)).name())
                                .noneMatch(t -> t.startsWith("ingest-green-"));
                    }
                } finally {
                    if (greenService != null) {
                        greenService.close();
                    }
                    if (blueOpen) {
                        blue.close();
                    }
                }
            }
        }
    }

    private static int retire(EmbeddedKraftCluster cluster, String space) throws Exception {
        return SidstreamMain.run(
                new String[] {
                    "retire-space",
                    "--sid-space",
                    space,
                    "--application-id",
                    "ingest-green",
                    "--bootstrap-servers",
                    cluster.bootstrapServers(),
                    "--yes"
                },
                System.out,
                System.err);
    }

    private static String v2SpaceOf(Path bundle) {
        return ModelBundle.load(bundle).sidSpace();
    }

    private static long after(ConcurrentLinkedQueue<Answer> answers, long nanos) {
        return answers.stream().filter(a -> a.sentNanos() > nanos).count();
    }

    private static void httpTraffic(
            AtomicReference<String> service,
            ConcurrentLinkedQueue<Answer> answers,
            AtomicBoolean stop) {
        for (int i = 0; !stop.get(); i++) {
            long sent = System.nanoTime();
            try {
                RetrievalClient.Answer a =
                        new RetrievalClient(service.get())
                                .post("{\"userId\":\"u" + (i % USERS) + "\",\"k\":10}");
                Map<String, List<Integer>> items = new HashMap<>();
                for (JsonNode c : a.body().path("candidates")) {
                    List<Integer> sid = new ArrayList<>();
                    c.path("sid").forEach(n -> sid.add(n.asInt()));
                    items.put(c.path("itemId").asText(), sid);
                }
                answers.add(
                        new Answer(
                                sent, a.status(), a.body().path("modelVersion").asText(), items));
            } catch (Exception e) {
                answers.add(new Answer(sent, -1, e.toString(), Map.of()));
            }
        }
    }

    private static void kafkaTraffic(
            EmbeddedKraftCluster cluster, List<String> ids, AtomicBoolean stop) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.RETRIEVAL_REQUESTS.keySerde().serializer(),
                        Topics.RETRIEVAL_REQUESTS.valueSerde().serializer())) {
            for (int i = 0; !stop.get(); i++) {
                String id = "k-" + i;
                String user = "u" + (i % USERS);
                producer.send(
                        new ProducerRecord<>(
                                Topics.RETRIEVAL_REQUESTS.name(),
                                user,
                                RetrievalRequest.newBuilder()
                                        .setRequestId(id)
                                        .setUserId(user)
                                        .setHistory(null)
                                        .setLookupHistory(true)
                                        .setNumCandidates(10)
                                        .setBeamWidth(32)
                                        .setRequestedAt(Instant.now())
                                        .build()));
                synchronized (ids) {
                    ids.add(id);
                }
                Thread.sleep(40);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ItemEvent item(String id, Random random) {
        List<Float> vector = new ArrayList<>();
        double norm = 0;
        float[] v = new float[384];
        for (int d = 0; d < v.length; d++) {
            v[d] = (float) random.nextGaussian();
            norm += v[d] * v[d];
        }
        for (float f : v) {
            vector.add((float) (f / Math.sqrt(norm)));
        }
        return ItemEvent.newBuilder()
                .setItemId(id)
                .setTitle("Item " + id)
                .setEmbedding(vector)
                .setEventTime(Instant.parse("2026-11-01T00:00:00Z"))
                .build();
    }

    private static InteractionEvent event(String user, String item, int minutes) {
        return InteractionEvent.newBuilder()
                .setEventId(user + "-" + item + "-" + minutes)
                .setUserId(user)
                .setItemId(item)
                .setEventType(InteractionType.CLICK)
                .setEventTime(Instant.parse("2026-11-02T00:00:00Z").plusSeconds(60L * minutes))
                .build();
    }

    private static <V> List<ConsumerRecord<String, V>> read(
            EmbeddedKraftCluster cluster, TopicSpec<String, V> topic) {
        return TopicReader.readAll(
                cluster,
                topic.name(),
                topic.keySerde().deserializer(),
                topic.valueSerde().deserializer(),
                Duration.ofSeconds(60));
    }

    /** Every SID each item ever had on a SID topic. */
    private static Map<String, Set<List<Integer>>> everPublished(
            EmbeddedKraftCluster cluster, TopicSpec<String, ItemSid> topic) {
        Map<String, Set<List<Integer>>> ever = new HashMap<>();
        for (ConsumerRecord<String, ItemSid> r : read(cluster, topic)) {
            if (r.value() != null) {
                ever.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.value().getSid());
            }
        }
        return ever;
    }

    /** The SID table: each live item's latest SID. */
    private static Map<String, List<Integer>> latest(
            EmbeddedKraftCluster cluster, TopicSpec<String, ItemSid> topic) {
        Map<String, List<Integer>> table = new HashMap<>();
        for (ConsumerRecord<String, ItemSid> r : read(cluster, topic)) {
            if (r.value() == null) {
                table.remove(r.key());
            } else {
                table.put(r.key(), r.value().getSid());
            }
        }
        return table;
    }

    private static Path copyOfResource(String resource, Path target) throws Exception {
        Path source;
        try {
            source = Path.of(BlueGreenRolloutIT.class.getResource(resource).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, target.resolve(f.getFileName().toString()));
            }
        }
        return target;
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws Exception {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(
            BooleanSupplier condition, java.util.function.Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            Thread.sleep(100);
        }
    }
}
