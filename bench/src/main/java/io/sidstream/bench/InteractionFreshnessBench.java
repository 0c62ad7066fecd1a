package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.Recommendations;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * End-to-end freshness of recommendations under sustained load, on a real (embedded) broker: an
 * interaction produced on {@code users.events.v1} until the recommendations it caused are readable
 * (read_committed) on {@code recs.results.v1}. ingest-stream appends it to the user's history and
 * publishes a retrieval request ({@code EVERY_INTERACTION}, the default), and a retrieval-server
 * decodes it (default bundle and beam) and publishes the list; the request id names the
 * interaction, so each one's time is taken when its own list arrives. A burst first measures the
 * maximum rate; then interactions are offered open-loop at 25 % (a warm-up, reported as such), then
 * at 25 %, 50 % and 90 % of it, each step measured. Items are the bundle's trainer SIDs, preloaded;
 * 2,000 users with random live items.
 *
 * <p>Usage: {@code InteractionFreshnessBench [secondsPerLevel=15]}; {@code
 * SIDSTREAM_PROCESSING_GUARANTEE} and any other {@code SIDSTREAM_*} key of the bench's environment
 * reach ingest. Prints one JSON line per load level.
 */
public final class InteractionFreshnessBench {
    private static final int USERS = 2_000;

    private InteractionFreshnessBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);
        List<String> items = new ArrayList<>(bundle.trainerItemSids().keySet());
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            try (var admin = cluster.admin()) {
                TopicAdmin.createMissing(
                        admin,
                        Stream.concat(
                                        IngestService.REQUIRED_TOPICS.stream(),
                                        Stream.of(
                                                Topics.RECOMMENDATIONS,
                                                Topics.RETRIEVAL_REQUESTS_DLQ))
                                .distinct()
                                .map(t -> t.toNewTopic(2, (short) 1))
                                .toList());
            }
            HistoryBench.preloadTrainerSids(cluster, bundle);
            Map<String, String> ingestEnv = new HashMap<>();
            ingestEnv.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            ingestEnv.put("SIDSTREAM_INGEST_APPLICATION_ID", "bench-interaction-freshness");
            ingestEnv.put(
                    "SIDSTREAM_STATE_DIR", Files.createTempDirectory("sidstream-bench").toString());
            ingestEnv.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            ingestEnv.put("SIDSTREAM_MODEL_THREADS", "1");
            ItemAssignmentBench.applyServiceOverrides(ingestEnv);
            String guarantee =
                    ingestEnv.getOrDefault("SIDSTREAM_PROCESSING_GUARANTEE", "exactly_once_v2");
            Map<String, String> retrievalEnv = new HashMap<>();
            retrievalEnv.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            retrievalEnv.put("SIDSTREAM_RETRIEVAL_APPLICATION_ID", "bench-interaction-retrieval");
            retrievalEnv.put("SIDSTREAM_RETRIEVAL_HTTP_PORT", "0");
            Map<String, Long> arrived = new ConcurrentHashMap<>();
            Map<String, long[]> stages = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            try (IngestService ingest =
                            IngestService.start(
                                    IngestConfig.fromEnv(ingestEnv), Duration.ofMinutes(2));
                    RetrievalService retrieval =
                            RetrievalService.start(
                                    RetrievalConfig.fromEnv(retrievalEnv), Duration.ofMinutes(2));
                    KafkaProducer<String, InteractionEvent> producer = producer(cluster)) {
                Thread reader =
                        new Thread(
                                () -> readResults(cluster, arrived, stages, stop), "bench-results");
                reader.start();
                Random random = new Random(17);
                // The burst: sent at once, the rate is how fast its lists come out.
                int burst = 1_000;
                long t0 = System.nanoTime();
                List<String> burstIds = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    burstIds.add(send(producer, "b" + i, items, random));
                }
                producer.flush();
                waitForAll(arrived, burstIds, Duration.ofMinutes(10));
                double maxRate = burst / ((System.nanoTime() - t0) / 1e9);
                int next = 0;
                // A warm-up step first: after the burst's batches of 32 the small batches of a
                // light load take a few seconds to reach their steady cost (its line says so).
                double[] shares = {0.25, 0.25, 0.5, 0.9};
                for (int step = 0; step < shares.length; step++) {
                    double share = shares[step];
                    boolean warmUp = step == 0;
                    double rate = maxRate * share;
                    int count = Math.max(20, (int) (rate * seconds));
                    long interval = (long) (1e9 / rate);
                    Map<String, Long> sentAt = new HashMap<>();
                    long start = System.nanoTime();
                    for (int i = 0; i < count; i++) {
                        OpenLoop.awaitDue(start + i * interval);
                        long now = System.nanoTime();
                        sentAt.put(send(producer, "f" + (next + i), items, random), now);
                    }
                    next += count;
                    waitForAll(arrived, sentAt.keySet(), Duration.ofSeconds(seconds * 4L + 60));
                    long[] sorted =
                            sentAt.entrySet().stream()
                                    .filter(e -> arrived.containsKey(e.getKey()))
                                    .mapToLong(e -> arrived.get(e.getKey()) - e.getValue())
                                    .sorted()
                                    .toArray();
                    System.out.printf(
                            Locale.ROOT,
                            "{\"bench\":\"interaction-freshness\",\"guarantee\":\"%s\","
                                    + "\"step\":\"%s\","
                                    + "\"stages_p50_ms\":%s,"
                                    + "%s,"
                                    + "\"max_interactions_per_s\":%.1f,\"load_share\":%.2f,"
                                    + "\"offered_per_s\":%.1f,\"interactions\":%d,"
                                    + "\"recommended\":%d,"
                                    + "\"interaction_to_recommendation_p50_ms\":%.1f,"
                                    + "\"interaction_to_recommendation_p90_ms\":%.1f,"
                                    + "\"interaction_to_recommendation_p99_ms\":%.1f,"
                                    + "\"interaction_to_recommendation_max_ms\":%.1f,"
                                    + "\"slowest\":%s}%n",
                            guarantee,
                            warmUp ? "warm-up" : "measured",
                            stageMedians(stages, sentAt.keySet()),
                            ItemAssignmentBench.ingestShape(ingestEnv, guarantee),
                            maxRate,
                            share,
                            rate,
                            count,
                            sorted.length,
                            Arrivals.percentileMs(sorted, 0.5),
                            Arrivals.percentileMs(sorted, 0.9),
                            Arrivals.percentileMs(sorted, 0.99),
                            Arrivals.percentileMs(sorted, 1.0),
                            slowest(sentAt, arrived, start, 5));
                }
                stop.set(true);
                reader.join();
            }
        }
    }

    /**
     * The {@code n} slowest interactions of a step as {@code [seconds into the step, ms]}, so a
     * tail can be matched to what happened then (a commit, a GC pause).
     */
    private static String slowest(
            Map<String, Long> sentAt, Map<String, Long> arrived, long stepStart, int n) {
        return sentAt.entrySet().stream()
                .filter(e -> arrived.containsKey(e.getKey()))
                .sorted(
                        (a, b) ->
                                Long.compare(
                                        arrived.get(b.getKey()) - b.getValue(),
                                        arrived.get(a.getKey()) - a.getValue()))
                .limit(n)
                .map(
                        e ->
                                String.format(
                                        Locale.ROOT,
                                        "[%.1f,%.0f]",
                                        (e.getValue() - stepStart) / 1e9,
                                        (arrived.get(e.getKey()) - e.getValue()) / 1e6))
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
    }

    /** Sends one interaction of a random user with a random live item; returns its request id. */
    private static String send(
            KafkaProducer<String, InteractionEvent> producer,
            String eventId,
            List<String> items,
            Random random) {
        String user = "u" + random.nextInt(USERS);
        Instant eventTime = Instant.now();
        producer.send(
                new ProducerRecord<>(
                        Topics.INTERACTIONS.name(),
                        user,
                        InteractionEvent.newBuilder()
                                .setEventId(eventId)
                                .setUserId(user)
                                .setItemId(items.get(random.nextInt(items.size())))
                                .setEventType(InteractionType.CLICK)
                                .setEventTime(eventTime)
                                .build()));
        // ingest names the request of EVERY_INTERACTION after the user and the event.
        String requestId = user + "-" + eventId;
        SENT_AT_MILLIS.put(requestId, eventTime.toEpochMilli());
        return requestId;
    }

    /** The stages of an interaction's path, as the names of {@link #stageMedians}' fields. */
    private static final String[] STAGES = {
        "ingest", "request_topic", "search", "publish_and_read"
    };

    /**
     * The median of each stage over {@code ids}, by the wall-clock times the path stamps on the
     * way: the interaction's event time (the bench's send), the request's {@code requestedAt}
     * (ingest published it), the list's {@code receivedAt} (retrieval read the request) and {@code
     * completedAt} (searched), and the bench's read of the list.
     */
    private static String stageMedians(Map<String, long[]> stages, java.util.Set<String> ids) {
        StringBuilder json = new StringBuilder("{");
        for (int s = 0; s < STAGES.length; s++) {
            int stage = s;
            long[] sorted =
                    ids.stream()
                            .map(stages::get)
                            .filter(java.util.Objects::nonNull)
                            .mapToLong(t -> t[stage + 1] - t[stage])
                            .sorted()
                            .toArray();
            json.append(s == 0 ? "" : ",")
                    .append('"')
                    .append(STAGES[s])
                    .append("\":")
                    .append(sorted.length == 0 ? 0 : sorted[sorted.length / 2]);
        }
        return json.append('}').toString();
    }

    private static void readResults(
            EmbeddedKraftCluster cluster,
            Map<String, Long> arrived,
            Map<String, long[]> stages,
            AtomicBoolean stop) {
        try (KafkaConsumer<String, Recommendations> consumer =
                Arrivals.consumer(cluster, "bench-results-reader", Topics.RECOMMENDATIONS)) {
            while (!stop.get()) {
                for (ConsumerRecord<String, Recommendations> r :
                        consumer.poll(Duration.ofMillis(20))) {
                    Recommendations v = r.value();
                    String id = v.getRequestId().toString();
                    arrived.putIfAbsent(id, System.nanoTime());
                    stages.putIfAbsent(
                            id,
                            new long[] {
                                eventMillis(id),
                                v.getRequestedAt().toEpochMilli(),
                                v.getReceivedAt().toEpochMilli(),
                                v.getCompletedAt().toEpochMilli(),
                                System.currentTimeMillis()
                            });
                }
            }
        }
    }

    /** The wall-clock send time of each request's interaction, by request id. */
    private static final Map<String, Long> SENT_AT_MILLIS = new ConcurrentHashMap<>();

    private static long eventMillis(String requestId) {
        Long sent = SENT_AT_MILLIS.get(requestId);
        return sent == null ? 0 : sent;
    }

    private static void waitForAll(
            Map<String, Long> arrived, java.util.Collection<String> ids, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && !arrived.keySet().containsAll(ids)) {
            Thread.sleep(5);
        }
    }

    private static KafkaProducer<String, InteractionEvent> producer(EmbeddedKraftCluster cluster) {
        Properties props = cluster.clientProperties();
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(
                props,
                Topics.INTERACTIONS.keySerde().serializer(),
                Topics.INTERACTIONS.valueSerde().serializer());
    }
}
