package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.schemas.v1.Recommendations;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open-loop load on {@code POST /recommendations} over loopback: the capacity is measured first
 * (closed loop, 8 clients), then requests are offered at a fixed rate, 50 %, 100 %, 150 % and 300 %
 * of it, each step bounded in count and time, whatever the answers take (an open-loop generator
 * never waits for a reply before sending the next request). Per step: p50/p99 of accepted requests,
 * the share refused (429/503), the share over a 100 ms SLO, heap after the step; then every
 * accepted request's result is looked up on {@code recs.results.v1}: exactly one each. Default
 * bundle, server default beam (128), histories of 10 random live items, the live popularity prior
 * fed the dataset's 100,000 interactions. Prints one JSON line per step.
 *
 * <p>Usage: {@code RecommendLoadBench [stepSeconds=15]}; the server's batching and admission
 * settings ({@code SIDSTREAM_RETRIEVAL_MAX_QUEUE_WAIT_MS}, {@code SIDSTREAM_MAX_BATCH}, ...) are
 * taken from the environment.
 */
public final class RecommendLoadBench {
    private RecommendLoadBench() {}

    static void preloadInteractions(EmbeddedKraftCluster cluster) {
        List<io.sidstream.datasets.Interaction> events =
                io.sidstream.datasets.Datasets.readInteractions(
                        java.nio.file.Path.of("data", "movietweetings-100k", "ratings.dat"));
        try (var producer =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.INTERACTIONS.keySerde().serializer(),
                        Topics.INTERACTIONS.valueSerde().serializer())) {
            int n = 0;
            for (var e : events) {
                producer.send(
                        new org.apache.kafka.clients.producer.ProducerRecord<>(
                                Topics.INTERACTIONS.name(),
                                e.userId(),
                                io.sidstream.schemas.v1.InteractionEvent.newBuilder()
                                        .setEventId("bench-" + n++)
                                        .setUserId(e.userId())
                                        .setItemId(e.itemId())
                                        .setEventType(
                                                io.sidstream.schemas.v1.InteractionType.RATING)
                                        .setEventTime(
                                                java.time.Instant.ofEpochMilli(e.timestampMillis()))
                                        .build()));
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int stepSeconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);
        List<String> items = new ArrayList<>(bundle.trainerItemSids().keySet());
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            try (var admin = cluster.admin()) {
                TopicAdmin.createMissing(
                        admin,
                        List.of(
                                Topics.ITEM_SIDS.toNewTopic(2, (short) 1),
                                Topics.RETRIEVAL_REQUESTS.toNewTopic(2, (short) 1),
                                Topics.RECOMMENDATIONS.toNewTopic(2, (short) 1),
                                Topics.RETRIEVAL_REQUESTS_DLQ.toNewTopic(1, (short) 1),
                                Topics.INTERACTIONS.toNewTopic(2, (short) 1)));
            }
            HistoryBench.preloadTrainerSids(cluster, bundle);
            // The dataset's interactions, so that the live popularity prior the server folds into
            // every search holds real counts, as in production.
            preloadInteractions(cluster);
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "bench-load");
            env.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
            // Server settings under test (e.g. SIDSTREAM_RETRIEVAL_MAX_QUEUE_WAIT_MS) come from
            // the bench's own environment.
            System.getenv()
                    .forEach(
                            (key, value) -> {
                                if (key.startsWith("SIDSTREAM_RETRIEVAL_MAX_")
                                        || key.startsWith("SIDSTREAM_RETRIEVAL_HTTP_W")
                                        || key.equals("SIDSTREAM_MAX_BATCH")
                                        || key.equals("SIDSTREAM_MAX_WAIT_MS")) {
                                    env.put(key, value);
                                }
                            });
            try (RetrievalService service =
                    RetrievalService.start(RetrievalConfig.fromEnv(env), Duration.ofMinutes(2))) {
                URI uri = URI.create("http://localhost:" + service.httpPort() + "/recommendations");
                HttpClient http = HttpClient.newHttpClient();
                Random random = new Random(11);
                double capacity = capacity(http, uri, items, random, stepSeconds);
                System.out.printf(
                        Locale.ROOT,
                        "{\"bench\":\"recommend-load\",\"step\":\"capacity\",\"beam\":128,"
                                + "\"requests_per_s\":%.1f}%n",
                        capacity);
                Map<String, Integer> accepted = new ConcurrentHashMap<>();
                // 8 closed-loop clients understate what batching sustains: 300 % is the overload.
                for (double share : List.of(0.5, 1.0, 1.5, 3.0)) {
                    step(http, uri, items, random, capacity * share, share, stepSeconds, accepted);
                }
                Map<String, Integer> results = results(cluster, accepted.size());
                long missing =
                        accepted.keySet().stream().filter(id -> !results.containsKey(id)).count();
                long duplicated = results.values().stream().filter(n -> n > 1).count();
                System.out.printf(
                        Locale.ROOT,
                        "{\"bench\":\"recommend-load\",\"step\":\"results\",\"accepted\":%d,"
                                + "\"missing_on_topic\":%d,\"duplicated_on_topic\":%d}%n",
                        accepted.size(),
                        missing,
                        duplicated);
            }
        }
    }

    private static String body(List<String> items, Random random, int n) {
        StringBuilder b = new StringBuilder("{\"userId\":\"load-" + n + "\",\"k\":10,\"items\":[");
        for (int i = 0; i < 10; i++) {
            b.append(i == 0 ? "\"" : ",\"")
                    .append(items.get(random.nextInt(items.size())))
                    .append('"');
        }
        return b.append("]}").toString();
    }

    private static double capacity(
            HttpClient http, URI uri, List<String> items, Random random, int seconds)
            throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicInteger done = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            Thread t =
                    new Thread(
                            () -> {
                                Random r = new Random(random.nextLong());
                                while (System.nanoTime() < end) {
                                    try {
                                        HttpResponse<String> response =
                                                http.send(
                                                        post(uri, body(items, r, -1)),
                                                        HttpResponse.BodyHandlers.ofString());
                                        if (response.statusCode() == 200) {
                                            done.incrementAndGet();
                                        }
                                    } catch (Exception e) {
                                        return;
                                    }
                                }
                            });
            t.start();
            clients.add(t);
        }
        for (Thread t : clients) {
            t.join();
        }
        return done.get() / (double) seconds;
    }

    private static HttpRequest post(URI uri, String body) {
        return HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static void step(
            HttpClient http,
            URI uri,
            List<String> items,
            Random random,
            double rate,
            double share,
            int seconds,
            Map<String, Integer> accepted)
            throws Exception {
        int count = (int) Math.max(1, rate * seconds);
        long interval = (long) (1e9 / rate);
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + i * interval;
            OpenLoop.awaitDue(due);
            long sent = System.nanoTime();
            inFlight.add(
                    http.sendAsync(
                                    post(uri, body(items, random, i)),
                                    HttpResponse.BodyHandlers.ofString())
                            .handle(
                                    (response, error) -> {
                                        if (error != null) {
                                            failed.incrementAndGet();
                                        } else if (response.statusCode() == 200) {
                                            latencies.add(System.nanoTime() - sent);
                                            String body = response.body();
                                            int at = body.indexOf("\"requestId\":\"") + 13;
                                            accepted.merge(
                                                    body.substring(at, body.indexOf('"', at)),
                                                    1,
                                                    Integer::sum);
                                        } else if (response.statusCode() == 429
                                                || response.statusCode() == 503) {
                                            refused.incrementAndGet();
                                        } else {
                                            failed.incrementAndGet();
                                        }
                                        return null;
                                    }));
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        long[] ns = sorted.stream().mapToLong(Long::longValue).toArray();
        long overSlo = sorted.stream().filter(l -> l > 100_000_000L).count();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf(
                Locale.ROOT,
                "{\"bench\":\"recommend-load\",\"step\":\"%.0f%%\",\"offered_per_s\":%.1f,"
                        + "\"offered\":%d,\"accepted\":%d,\"refused_share\":%.3f,\"failed\":%d,"
                        + "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"over_100ms_share\":%.3f,"
                        + "\"heap_mb\":%.0f}%n",
                share * 100,
                rate,
                count,
                ns.length,
                refused.get() / (double) count,
                failed.get(),
                ns.length == 0 ? 0 : Arrivals.percentileMs(ns, 0.5),
                ns.length == 0 ? 0 : Arrivals.percentileMs(ns, 0.99),
                ns.length == 0 ? 0 : overSlo / (double) ns.length,
                heap / 1e6);
    }

    /** How many results each request id has on recs.results.v1. */
    private static Map<String, Integer> results(EmbeddedKraftCluster cluster, int expected) {
        Map<String, Integer> seen = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (KafkaConsumer<String, Recommendations> consumer =
                Arrivals.consumer(cluster, "bench-load-results", Topics.RECOMMENDATIONS)) {
            while (seen.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, Recommendations> r :
                        consumer.poll(Duration.ofMillis(200))) {
                    seen.merge(r.value().getRequestId(), 1, Integer::sum);
                }
            }
            // A little longer, to see duplicates that would arrive late.
            long grace = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < grace) {
                for (ConsumerRecord<String, Recommendations> r :
                        consumer.poll(Duration.ofMillis(200))) {
                    seen.merge(r.value().getRequestId(), 1, Integer::sum);
                }
            }
        }
        return seen;
    }
}
