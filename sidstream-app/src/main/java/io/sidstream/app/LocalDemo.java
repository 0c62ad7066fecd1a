package io.sidstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.schemas.TopicAdmin;
import io.sidstream.schemas.TopicSpec;
import io.sidstream.schemas.Topics;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.sid.data.CatalogItem;
import io.sidstream.sid.data.Datasets;
import io.sidstream.sid.data.Interaction;
import io.sidstream.testkit.kafka.EmbeddedKraftCluster;
import io.sidstream.testkit.kafka.KafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.PrintStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sidstream demo}: the whole system on one machine, through the production code paths. An
 * in-process KRaft broker (or {@code --bootstrap-servers}), the catalogued topics, ingest-stream
 * and retrieval-server in this JVM, then the demo data: the catalog as item events (every item gets
 * its SID and enters the live index), the interactions in time order, and recommendations for a few
 * real users over the retrieval HTTP API, printed with titles.
 */
final class LocalDemo {
    private static final int SAMPLE_USERS = 3;

    private LocalDemo() {}

    static int run(DemoOptions options, PrintStream out) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        KafkaCluster embedded = null;
        String bootstrap = options.bootstrapServers();
        if (bootstrap == null) {
            out.println("starting embedded Kafka broker (KRaft, loopback only) ...");
            embedded = EmbeddedKraftCluster.start();
            bootstrap = embedded.bootstrapServers();
        }
        Path work = Files.createTempDirectory("sidstream-demo");
        try {
            out.println("broker: " + bootstrap);
            createTopics(bootstrap, embedded != null, out);
            List<CatalogItem> catalog = Datasets.readCatalog(options.catalogFile());
            catalog = catalog.subList(0, Math.min(options.items(), catalog.size()));
            Map<String, String> titles = new HashMap<>();
            catalog.forEach(i -> titles.put(i.itemId(), i.title()));
            List<Interaction> interactions =
                    Datasets.readInteractions(options.interactionsFile()).stream()
                            .filter(e -> titles.containsKey(e.itemId()))
                            .limit(options.limit())
                            .toList();

            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", bootstrap);
            env.put("SIDSTREAM_BUNDLE_DIR", options.bundleDir().toString());
            env.put("SIDSTREAM_STATE_DIR", work.resolve("ingest").toString());
            env.put(
                    "SIDSTREAM_INGEST_APPLICATION_ID",
                    "sidstream-demo-ingest-" + Long.toString(System.nanoTime() % 1_000_000, 36));
            env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
            env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "sidstream-demo-retrieval");
            env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "200");
            // Histories are built from the replay, but a request per replayed interaction would
            // queue ~100k beam searches on a laptop; the sample users are asked over HTTP instead.
            env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
            try (IngestService ingest =
                            IngestService.start(IngestConfig.fromEnv(env), Duration.ofMinutes(2));
                    RetrievalService retrieval = startRetrieval(env, ingest)) {
                out.printf(
                        Locale.ROOT,
                        "ingest-stream:    http://localhost:%d/items/{id}/sid  /users/{id}/history  /metrics%n",
                        ingest.httpPort());
                out.printf(
                        Locale.ROOT,
                        "retrieval-server: POST http://localhost:%d/recommendations  /metrics (decoder on %s)%n",
                        retrieval.httpPort(),
                        retrieval.executionProvider());

                List<CatalogItem> items = catalog;
                try (KafkaProducer<String, ItemEvent> producer =
                        producer(bootstrap, Topics.ITEMS)) {
                    replay(
                            out,
                            "list items",
                            items.size(),
                            i ->
                                    send(
                                            producer,
                                            Topics.ITEMS,
                                            items.get(i).itemId(),
                                            itemEvent(items.get(i))));
                }
                awaitIndex(out, retrieval, items.size());
                try (KafkaProducer<String, InteractionEvent> producer =
                        producer(bootstrap, Topics.INTERACTIONS)) {
                    replay(
                            out,
                            "interactions",
                            interactions.size(),
                            i ->
                                    send(
                                            producer,
                                            Topics.INTERACTIONS,
                                            interactions.get(i).userId(),
                                            interactionEvent(interactions.get(i), i)));
                }
                int hits = recommendForSampleUsers(out, retrieval.httpPort(), interactions, titles);
                out.printf(
                        Locale.ROOT,
                        "summary: items listed=%d, items with a SID in the live index=%d, interactions=%d,"
                                + " sample users=%d (held-out item in top 10: %d), elapsed=%.1fs%n",
                        items.size(),
                        retrieval.index().size(),
                        interactions.size(),
                        SAMPLE_USERS,
                        hits,
                        (System.nanoTime() - t0) / 1e9);
                if (options.serve()) {
                    out.println("serving; press Ctrl-C to stop");
                    CountDownLatch stop = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                    stop.await();
                }
                return retrieval.index().size() == items.size() ? 0 : 1;
            }
        } finally {
            if (embedded != null) {
                embedded.close();
            }
            deleteRecursively(work);
        }
    }

    private static RetrievalService startRetrieval(Map<String, String> env, IngestService ingest)
            throws InterruptedException {
        env.put("SIDSTREAM_INGEST_URL", "http://localhost:" + ingest.httpPort());
        return RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(1));
    }

    private static void awaitIndex(PrintStream out, RetrievalService retrieval, int expected)
            throws InterruptedException {
        ProgressBar progress = new ProgressBar(out, "assign SIDs", expected);
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        int last = 0;
        while (retrieval.index().size() < expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            int now = retrieval.index().size();
            progress.advance(now - last);
            last = now;
        }
        progress.advance(retrieval.index().size() - last);
        progress.done();
    }

    /** Asks the retrieval HTTP API for the most active users' next items; returns held-out hits. */
    private static int recommendForSampleUsers(
            PrintStream out, int port, List<Interaction> interactions, Map<String, String> titles)
            throws IOException, InterruptedException {
        Map<String, List<String>> byUser = new LinkedHashMap<>();
        for (Interaction e : interactions) {
            byUser.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e.itemId());
        }
        List<Map.Entry<String, List<String>>> users =
                byUser.entrySet().stream()
                        .filter(e -> e.getValue().size() >= 5)
                        .sorted((a, b) -> b.getValue().size() - a.getValue().size())
                        .limit(SAMPLE_USERS)
                        .toList();
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        int hits = 0;
        for (Map.Entry<String, List<String>> user : users) {
            List<String> seq = user.getValue();
            List<String> history = seq.subList(Math.max(0, seq.size() - 21), seq.size() - 1);
            String heldOut = seq.get(seq.size() - 1);
            String body =
                    json.writeValueAsString(
                            Map.of("userId", user.getKey(), "items", history, "k", 10));
            HttpResponse<String> response =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://localhost:"
                                                            + port
                                                            + "/recommendations"))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            JsonNode result = json.readTree(response.body());
            out.printf(
                    Locale.ROOT,
                    "%nuser %s: last watched %s; held out: %s%n",
                    user.getKey(),
                    titles.get(history.get(history.size() - 1)),
                    titles.get(heldOut));
            int rank = 1;
            for (JsonNode c : result.path("candidates")) {
                String id = c.path("itemId").asText();
                boolean hit = id.equals(heldOut);
                hits += hit ? 1 : 0;
                out.printf(
                        Locale.ROOT,
                        "  %2d. %-60s %s score %.2f%s%n",
                        rank++,
                        titles.getOrDefault(id, id),
                        c.path("sid"),
                        c.path("score").asDouble(),
                        hit ? "  <- held-out item" : "");
            }
        }
        if (!users.isEmpty()) {
            // The same first user again, named only by id: the retrieval server fetches the
            // stored history from ingest-stream (which built it from the replayed interactions).
            String user = users.get(0).getKey();
            JsonNode result = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                HttpResponse<String> response =
                        http.send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://localhost:"
                                                                + port
                                                                + "/recommendations"))
                                        .POST(
                                                HttpRequest.BodyPublishers.ofString(
                                                        json.writeValueAsString(
                                                                Map.of("userId", user, "k", 10))))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    result = json.readTree(response.body());
                    break;
                }
                Thread.sleep(500);
            }
            out.printf(
                    Locale.ROOT,
                    "%nuser %s again, by id only (stored history from ingest-stream):%n",
                    user);
            int rank = 1;
            for (JsonNode c : result == null ? json.createArrayNode() : result.path("candidates")) {
                String id = c.path("itemId").asText();
                out.printf(
                        Locale.ROOT,
                        "  %2d. %-60s %s score %.2f%n",
                        rank++,
                        titles.getOrDefault(id, id),
                        c.path("sid"),
                        c.path("score").asDouble());
            }
        }
        out.println();
        return hits;
    }

    private static void createTopics(String bootstrap, boolean local, PrintStream out) {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            int created =
                    TopicAdmin.createMissing(
                            admin,
                            Topics.all().stream()
                                    // Two partitions locally: real parallelism and repartitioning
                                    // without the
                                    // overhead of the production partition count on a laptop.
                                    .map(
                                            t ->
                                                    local
                                                            ? t.toNewTopic(
                                                                    Math.min(2, t.partitions()),
                                                                    (short) 1)
                                                            : t.toNewTopic((short) -1))
                                    .toList());
            out.println("topics: " + Topics.all().size() + " catalogued, " + created + " created");
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static <V> KafkaProducer<String, V> producer(
            String bootstrap, TopicSpec<String, V> spec) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(
                props, spec.keySerde().serializer(), spec.valueSerde().serializer());
    }

    private static <V> void send(
            KafkaProducer<String, V> producer, TopicSpec<String, V> spec, String key, V value) {
        producer.send(
                new ProducerRecord<>(spec.name(), key, value),
                (meta, error) -> {
                    if (error != null) {
                        throw new IllegalStateException(
                                "send to " + spec.name() + " failed", error);
                    }
                });
    }

    private static void replay(
            PrintStream out, String what, int total, java.util.function.IntConsumer sendOne) {
        ProgressBar progress = new ProgressBar(out, what, total);
        for (int i = 0; i < total; i++) {
            sendOne.accept(i);
            progress.step();
        }
        progress.done();
    }

    static ItemEvent itemEvent(CatalogItem item) {
        return ItemEvent.newBuilder()
                .setItemId(item.itemId())
                .setTitle(item.title())
                .setDescription(item.description())
                .setCategories(item.categories())
                .setBrand(item.brand())
                .setEventTime(Instant.now())
                .build();
    }

    static InteractionEvent interactionEvent(Interaction interaction, long sequence) {
        InteractionType type;
        try {
            type = InteractionType.valueOf(interaction.eventType());
        } catch (IllegalArgumentException e) {
            type = InteractionType.OTHER;
        }
        return InteractionEvent.newBuilder()
                .setEventId(
                        interaction.userId()
                                + "-"
                                + interaction.itemId()
                                + "-"
                                + interaction.timestampMillis())
                .setUserId(interaction.userId())
                .setItemId(interaction.itemId())
                .setEventType(type)
                .setValue(Double.isNaN(interaction.value()) ? null : interaction.value())
                .setEventTime(Instant.ofEpochMilli(interaction.timestampMillis()))
                .build();
    }
}
