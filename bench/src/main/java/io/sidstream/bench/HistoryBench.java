package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * User-history throughput and latency on an embedded broker, one instance with one stream thread,
 * for exactly_once_v2 and at_least_once in the same run: interactions/s for a burst of the
 * dataset's events (SIDs preloaded), then interaction -> history-readable latency at half that
 * rate. Prints one JSON line per guarantee. Usage: {@code HistoryBench [events=20000]
 * [latencyEvents=1000]}.
 */
public final class HistoryBench {
    private HistoryBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int latencyEvents = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        List<Interaction> events =
                Datasets.readInteractions(Path.of("data", "movietweetings-100k", "ratings.dat"));
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);
        for (String guarantee : List.of("exactly_once_v2", "at_least_once")) {
            try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
                try (var admin = cluster.admin()) {
                    TopicAdmin.createMissing(
                            admin,
                            IngestService.REQUIRED_TOPICS.stream()
                                    .map(t -> t.toNewTopic(2, (short) 1))
                                    .toList());
                }
                preloadTrainerSids(cluster, bundle);
                Map<String, String> env = new HashMap<>();
                env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
                env.put("SIDSTREAM_INGEST_APPLICATION_ID", "bench-history");
                env.put(
                        "SIDSTREAM_STATE_DIR",
                        Files.createTempDirectory("sidstream-bench").toString());
                env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
                env.put("SIDSTREAM_PROCESSING_GUARANTEE", guarantee);
                env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
                env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "100");
                try (IngestService ingest =
                                IngestService.start(
                                        IngestConfig.fromEnv(env), Duration.ofMinutes(2));
                        KafkaProducer<String, InteractionEvent> producer =
                                new KafkaProducer<>(
                                        cluster.clientProperties(),
                                        Topics.INTERACTIONS.keySerde().serializer(),
                                        Topics.INTERACTIONS.valueSerde().serializer());
                        KafkaConsumer<String, UserHistory> consumer =
                                Arrivals.consumer(
                                        cluster, "bench-history-reader", Topics.USER_HISTORIES)) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        producer.send(record(events.get(i % events.size()), "b" + i));
                    }
                    producer.flush();
                    Arrivals.drain(consumer, n, null, "lat-");
                    double rate = n / ((System.nanoTime() - t0) / 1e9);

                    long interval = (long) (1e9 / (rate / 2));
                    Map<String, Long> sentAt = new ConcurrentHashMap<>();
                    CompletableFuture<long[]> arrivals =
                            CompletableFuture.supplyAsync(
                                    () -> Arrivals.drain(consumer, latencyEvents, sentAt, "lat-"));
                    long start = System.nanoTime();
                    for (int i = 0; i < latencyEvents; i++) {
                        OpenLoop.awaitDue(start + i * interval);
                        Interaction e = events.get((n + i) % events.size());
                        // A fresh user per event, so the history record identifies the event.
                        String user = "lat-" + i;
                        sentAt.put(user, System.nanoTime());
                        producer.send(
                                new ProducerRecord<>(
                                        Topics.INTERACTIONS.name(),
                                        user,
                                        InteractionEvent.newBuilder()
                                                .setEventId("l" + i)
                                                .setUserId(user)
                                                .setItemId(e.itemId())
                                                .setEventType(InteractionType.RATING)
                                                .setEventTime(
                                                        Instant.ofEpochMilli(e.timestampMillis()))
                                                .build()));
                        producer.flush();
                    }
                    long[] latencies = arrivals.get();
                    Arrays.sort(latencies);
                    System.out.printf(
                            Locale.ROOT,
                            "{\"bench\":\"user-history\",\"guarantee\":\"%s\",\"events\":%d,\"interactions_per_s\":%.1f,"
                                    + "\"latency_events\":%d,\"paced_rate_per_s\":%.1f,\"p50_ms\":%.1f,\"p99_ms\":%.1f}%n",
                            guarantee,
                            n,
                            rate,
                            latencyEvents,
                            rate / 2,
                            Arrivals.percentileMs(latencies, 0.5),
                            Arrivals.percentileMs(latencies, 0.99));
                }
            }
        }
    }

    private static ProducerRecord<String, InteractionEvent> record(Interaction e, String eventId) {
        return new ProducerRecord<>(
                Topics.INTERACTIONS.name(),
                e.userId(),
                InteractionEvent.newBuilder()
                        .setEventId(eventId)
                        .setUserId(e.userId())
                        .setItemId(e.itemId())
                        .setEventType(InteractionType.RATING)
                        .setEventTime(Instant.ofEpochMilli(e.timestampMillis()))
                        .build());
    }

    /** Publishes the bundle's trainer SIDs on items.sid.v1, as if ingest had assigned them. */
    static void preloadTrainerSids(EmbeddedKraftCluster cluster, ModelBundle bundle) {
        try (var producer =
                new KafkaProducer<>(
                        cluster.clientProperties(),
                        Topics.ITEM_SIDS.keySerde().serializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer())) {
            for (Map.Entry<String, List<Integer>> e : bundle.trainerItemSids().entrySet()) {
                producer.send(
                        new ProducerRecord<>(
                                Topics.ITEM_SIDS.name(),
                                e.getKey(),
                                ItemSid.newBuilder()
                                        .setItemId(e.getKey())
                                        .setSid(e.getValue())
                                        .setModelVersion(bundle.sidSpace())
                                        .setContentHash("c")
                                        .setItemEventTime(Instant.EPOCH)
                                        .setAssignedAt(Instant.EPOCH)
                                        .build()));
            }
        }
    }
}
