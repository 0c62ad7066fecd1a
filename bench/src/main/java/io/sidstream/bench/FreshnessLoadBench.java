package io.sidstream.bench;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.index.SidIndexFeed;
import io.sidstream.schemas.v1.ItemEvent;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * End-to-end freshness under sustained load, on a real (embedded) broker: items listed on {@code
 * items.raw.v1} until they are searchable in a retrieval instance's live index (ingest-stream
 * assigns the SID, {@link SidIndexFeed} reads {@code items.sid.v1} into a {@link SidTrie}, as a
 * retrieval-server does). First a burst measures the maximum rate; then items are listed open-loop
 * at 25 %, 50 % and 90 % of it, and each item's listed -> searchable time is taken the moment the
 * index holds it. One JSON line per load level.
 *
 * <p>Usage: {@code FreshnessLoadBench [secondsPerLevel=20] [content=vector|text]}; the processing
 * guarantee comes from {@code SIDSTREAM_PROCESSING_GUARANTEE} (default exactly_once_v2), and any
 * other {@code SIDSTREAM_*} key of the bench's environment reaches ingest. Vectors make the claim
 * protocol, not the text model, the limit.
 */
public final class FreshnessLoadBench {
    private FreshnessLoadBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        boolean vectors = args.length < 2 || args[1].equals("vector");
        String guarantee =
                System.getenv().getOrDefault("SIDSTREAM_PROCESSING_GUARANTEE", "exactly_once_v2");
        List<CatalogItem> catalog =
                Datasets.readCatalog(Path.of("data", "movietweetings-100k", "movies.dat"));
        if (vectors) {
            ItemAssignmentBench.useBasis(catalog);
        }
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);
        Path state = Files.createTempDirectory("sidstream-bench");
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            cluster.createTopics(
                    IngestService.REQUIRED_TOPICS.stream()
                            .map(t -> t.toNewTopic(2, (short) 1))
                            .toList());
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_INGEST_APPLICATION_ID", "bench-freshness");
            env.put("SIDSTREAM_STATE_DIR", state.toString());
            env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            env.put("SIDSTREAM_MODEL_THREADS", "1");
            env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
            env.put("SIDSTREAM_EMBED_BATCH_SIZE", vectors ? "256" : "32");
            env.put("SIDSTREAM_PROCESSING_GUARANTEE", guarantee);
            ItemAssignmentBench.applyServiceOverrides(env);
            SidTrie trie =
                    new SidTrie(
                            bundle.manifest().sid().levels(),
                            bundle.manifest().sid().codebookSize());
            try (IngestService ingest =
                            IngestService.start(IngestConfig.fromEnv(env), Duration.ofMinutes(2));
                    SidIndexFeed feed =
                            new SidIndexFeed(cluster.clientProperties(), trie, bundle.sidSpace());
                    KafkaProducer<String, ItemEvent> producer =
                            ItemAssignmentBench.producer(cluster)) {
                feed.start();
                if (!feed.awaitCaughtUp(Duration.ofMinutes(1))) {
                    throw new IllegalStateException("index feed did not start");
                }
                // The burst: as many items as a level's worth at the last measured rate.
                int burst = vectors ? 10_000 : 1_000;
                long t0 = System.nanoTime();
                for (int i = 0; i < burst; i++) {
                    producer.send(record("b" + i, catalog, i, vectors));
                }
                producer.flush();
                waitUntil(() -> trie.size() >= burst, Duration.ofMinutes(10));
                double maxRate = burst / ((System.nanoTime() - t0) / 1e9);
                int next = burst;
                for (double share : new double[] {0.25, 0.5, 0.9}) {
                    double rate = maxRate * share;
                    int count = Math.max(20, (int) (rate * seconds));
                    long interval = (long) (1e9 / rate);
                    Map<String, Long> waiting = new HashMap<>();
                    List<Long> latencies = new ArrayList<>();
                    long start = System.nanoTime();
                    int sent = 0;
                    long deadline = start + Duration.ofSeconds(seconds * 4L + 60).toNanos();
                    while ((sent < count || !waiting.isEmpty()) && System.nanoTime() < deadline) {
                        long now = System.nanoTime();
                        while (sent < count && now >= start + sent * interval) {
                            String id = "f" + (next + sent);
                            waiting.put(id, System.nanoTime());
                            producer.send(record(id, catalog, next + sent, vectors));
                            sent++;
                        }
                        for (Iterator<Map.Entry<String, Long>> it = waiting.entrySet().iterator();
                                it.hasNext(); ) {
                            Map.Entry<String, Long> e = it.next();
                            if (trie.sidOf(e.getKey()) != null) {
                                latencies.add(System.nanoTime() - e.getValue());
                                it.remove();
                            }
                        }
                        Thread.sleep(0, 200_000);
                    }
                    next += count;
                    long[] sorted =
                            latencies.stream().mapToLong(Long::longValue).sorted().toArray();
                    System.out.printf(
                            Locale.ROOT,
                            "{\"bench\":\"freshness-load\",\"content\":\"%s\",\"guarantee\":\"%s\","
                                    + "%s,"
                                    + "\"max_items_per_s\":%.1f,\"load_share\":%.2f,"
                                    + "\"offered_items_per_s\":%.1f,\"items\":%d,\"searchable\":%d,"
                                    + "\"listed_to_searchable_p50_ms\":%.1f,"
                                    + "\"listed_to_searchable_p99_ms\":%.1f}%n",
                            vectors ? "vector" : "text",
                            guarantee,
                            ItemAssignmentBench.ingestShape(env, guarantee),
                            maxRate,
                            share,
                            rate,
                            count,
                            sorted.length,
                            Arrivals.percentileMs(sorted, 0.5),
                            Arrivals.percentileMs(sorted, 0.99));
                }
            }
        }
    }

    private static org.apache.kafka.clients.producer.ProducerRecord<String, ItemEvent> record(
            String id, List<CatalogItem> catalog, int i, boolean vectors) {
        return ItemAssignmentBench.record(id, catalog.get(i % catalog.size()), vectors ? i : -1);
    }

    private static void waitUntil(java.util.function.BooleanSupplier done, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout);
            }
            Thread.sleep(5);
        }
    }
}
