package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SidAssigner;
import io.sidstream.sid.embed.SentenceEmbedder;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * End-to-end benchmark of SID assignment on a real (embedded) broker, exactly-once:
 *
 * <ol>
 *   <li>raw: the same models called directly in batches of the same size (embed + RQ-VAE);
 *   <li>throughput: N item events produced before ingest starts, then the rate from ingest RUNNING
 *       to the last SID committed (a backlog drained);
 *   <li>latency: items produced at a paced rate (half the measured throughput), item listed -> SID
 *       readable (read_committed), p50/p99.
 * </ol>
 *
 * Prints one JSON line. Usage: {@code ItemAssignmentBench [items=5000] [latencyItems=500]
 * [modelThreads=1] [content=text|vector]} (0 = ONNX Runtime default, one per core). With {@code
 * vector} every item carries its own 384-d embedding, so only the RQ-VAE runs: the path of
 * producers that embed content themselves. The vectors are deterministic mixes of two real catalog
 * embeddings plus a little noise, so they spread over the SID space as real items do (random
 * vectors would crowd a few prefixes and be refused as PREFIX_FULL).
 */
public final class ItemAssignmentBench {
    private ItemAssignmentBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int latencyItems = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int modelThreads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean vectors = args.length > 3 && args[3].equals("vector");
        if (args.length > 3 && !vectors && !args[3].equals("text")) {
            throw new IllegalArgumentException("content must be text or vector, not " + args[3]);
        }
        int batch = vectors ? 256 : 32;
        List<CatalogItem> catalog =
                Datasets.readCatalog(Path.of("data", "movietweetings-100k", "movies.dat"));
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);

        if (vectors) {
            basis = basis(catalog, modelThreads);
        }
        double raw;
        try (SidAssigner assigner = SidAssigner.open(bundle, modelThreads)) {
            List<ItemContent> contents = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                contents.add(
                        vectors
                                ? ItemContent.ofVector(vector(i))
                                : ItemContent.ofText(catalog.get(i % catalog.size()).text()));
            }
            assigner.semanticCodes(contents.subList(0, batch)); // warm-up
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i += batch) {
                assigner.semanticCodes(contents.subList(i, Math.min(n, i + batch)));
            }
            raw = n / ((System.nanoTime() - t0) / 1e9);
        }

        Path state = Files.createTempDirectory("sidstream-bench");
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            cluster.createTopics(
                    io.sidstream.ingest.IngestService.REQUIRED_TOPICS.stream()
                            .map(t -> t.toNewTopic(t.partitions() == 1 ? 1 : 2, (short) 1))
                            .toList());
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_INGEST_APPLICATION_ID", "bench-ingest");
            env.put("SIDSTREAM_STATE_DIR", state.toString());
            env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            env.put("SIDSTREAM_EMBED_BATCH_SIZE", Integer.toString(batch));
            env.put("SIDSTREAM_MODEL_THREADS", Integer.toString(modelThreads));
            env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "100");
            env.put("SIDSTREAM_KAFKA_FETCH_MAX_WAIT_MS", "20");
            applyServiceOverrides(env);
            double produceS;
            try (KafkaProducer<String, ItemEvent> producer = producer(cluster)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    producer.send(
                            record("t" + i, catalog.get(i % catalog.size()), vectors ? i : -1));
                }
                producer.flush();
                produceS = (System.nanoTime() - t0) / 1e9;
            }
            try (IngestService ingest =
                            IngestService.start(IngestConfig.fromEnv(env), Duration.ofMinutes(2));
                    KafkaProducer<String, ItemEvent> producer = producer(cluster);
                    KafkaConsumer<String, ItemSid> consumer =
                            Arrivals.consumer(cluster, "bench-reader", Topics.ITEM_SIDS)) {
                long running = System.nanoTime();
                long cpu0 = threadCpuNanos(env.get("SIDSTREAM_INGEST_APPLICATION_ID"));
                long model0 = threadCpuNanos("sid-embedder");
                long[] arrived = Arrivals.drain(consumer, n, null, "t");
                double drainS = (System.nanoTime() - running) / 1e9;
                double topology = n / drainS;
                // The raw rate is the models' after one warm-up batch; this is the topology's
                // after its first fifth, once the broker, the clients and the stream thread's
                // code are compiled: the JIT takes most of a core in the first tens of seconds.
                int warm = n / 5;
                double steady = (n - warm) / ((arrived[n - 1] - arrived[warm - 1]) / 1e9);
                double ingestCpuS =
                        (threadCpuNanos(env.get("SIDSTREAM_INGEST_APPLICATION_ID")) - cpu0) / 1e9;
                double modelBusy = (threadCpuNanos("sid-embedder") - model0) / 1e9 / drainS;

                long intervalNanos = (long) (1e9 / (topology / 2));
                Map<String, Long> sentAt = new ConcurrentHashMap<>();
                CompletableFuture<long[]> arrivals =
                        CompletableFuture.supplyAsync(
                                () -> Arrivals.drain(consumer, latencyItems, sentAt, "l"));
                long start = System.nanoTime();
                for (int i = 0; i < latencyItems; i++) {
                    OpenLoop.awaitDue(start + i * intervalNanos);
                    String id = "l" + i;
                    sentAt.put(id, System.nanoTime());
                    producer.send(
                            record(
                                    id,
                                    catalog.get((n + i) % catalog.size()),
                                    vectors ? n + i : -1));
                    producer.flush();
                }
                long[] latencies = arrivals.get();
                Arrays.sort(latencies);
                System.out.printf(
                        Locale.ROOT,
                        "{\"bench\":\"item-assignment\",\"content\":\"%s\",\"items\":%d,\"batch\":%d,\"model_threads\":%d,\"guarantee\":\"%s\","
                                + "\"raw_items_per_s\":%.1f,\"topology_items_per_s\":%.1f,\"ratio\":%.3f,"
                                + "\"steady_items_per_s\":%.1f,\"steady_ratio\":%.3f,\"produce_s\":%.2f,"
                                + "\"ingest_cpu_s\":%.2f,\"items_per_ingest_cpu_s\":%.1f,\"model_thread_busy\":%.2f,"
                                + "\"latency_items\":%d,\"paced_rate_per_s\":%.1f,\"p50_ms\":%.1f,\"p99_ms\":%.1f}%n",
                        vectors ? "vector" : "text",
                        n,
                        Integer.parseInt(env.get("SIDSTREAM_EMBED_BATCH_SIZE")),
                        modelThreads,
                        env.getOrDefault("SIDSTREAM_PROCESSING_GUARANTEE", "exactly_once_v2"),
                        raw,
                        topology,
                        topology / raw,
                        steady,
                        steady / raw,
                        produceS,
                        ingestCpuS,
                        n / ingestCpuS,
                        modelBusy,
                        latencyItems,
                        topology / 2,
                        Arrivals.percentileMs(latencies, 0.5),
                        Arrivals.percentileMs(latencies, 0.99));
            }
        }
    }

    /**
     * Service settings from the bench's own environment win over the bench's, e.g. {@code
     * SIDSTREAM_PROCESSING_GUARANTEE=at_least_once} or another {@code SIDSTREAM_EMBED_BATCH_SIZE}.
     */
    static void applyServiceOverrides(Map<String, String> env) {
        System.getenv()
                .forEach(
                        (key, value) -> {
                            if (key.startsWith("SIDSTREAM_")
                                    && !key.equals("SIDSTREAM_JAVA_OPTS")) {
                                env.put(key, value);
                            }
                        });
    }

    /** The JSON fields naming how ingest ran: input routing and commit interval. */
    static String ingestShape(Map<String, String> env, String guarantee) {
        return String.format(
                Locale.ROOT,
                "\"routing\":\"%s\",\"commit_interval_ms\":%s",
                env.getOrDefault(
                        IngestSetting.INPUT_ROUTING.key(),
                        IngestSetting.INPUT_ROUTING.defaultValue()),
                env.getOrDefault(
                        "SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS",
                        guarantee.equals("at_least_once") ? "30000" : "100"));
    }

    /**
     * CPU time of the threads whose names contain {@code name}. With the application id: the ingest
     * instance's stream, producer and consumer threads, so the rate per core excludes the broker
     * and the bench's clients (with items that carry vectors the encoder runs on the stream
     * thread); with {@code sid-embedder}: the text model's thread.
     */
    static long threadCpuNanos(String name) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains(name)) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    static ProducerRecord<String, ItemEvent> record(String id, CatalogItem item) {
        return record(id, item, -1);
    }

    /** An item event; with {@code vectorSeed >= 0} it carries its own embedding. */
    static ProducerRecord<String, ItemEvent> record(String id, CatalogItem item, int vectorSeed) {
        ItemEvent.Builder event =
                ItemEvent.newBuilder()
                        .setItemId(id)
                        .setTitle(item.title())
                        .setCategories(item.categories())
                        .setEventTime(Instant.now());
        if (vectorSeed >= 0) {
            List<Float> embedding = new ArrayList<>();
            for (float x : vector(vectorSeed)) {
                embedding.add(x);
            }
            event.setEmbedding(embedding);
        }
        return new ProducerRecord<>(Topics.ITEMS.name(), id, event.build());
    }

    /** Real embeddings of the first catalog items, mixed into the bench's vectors. */
    private static float[][] basis;

    /** Prepares the real embeddings that {@link #record} mixes into items' own vectors. */
    static void useBasis(List<CatalogItem> catalog) {
        basis = basis(catalog, 1);
    }

    private static float[][] basis(List<CatalogItem> catalog, int threads) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < Math.min(1_000, catalog.size()); i++) {
            texts.add(catalog.get(i).text());
        }
        try (SentenceEmbedder embedder = SentenceEmbedder.load(threads)) {
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < texts.size(); i += 64) {
                out.addAll(
                        List.of(embedder.embed(texts.subList(i, Math.min(texts.size(), i + 64)))));
            }
            return out.toArray(new float[0][]);
        }
    }

    /** A deterministic unit vector: a mix of two real embeddings plus a little noise. */
    static float[] vector(int seed) {
        java.util.Random random = new java.util.Random(seed);
        float[] a = basis[random.nextInt(basis.length)];
        float[] b = basis[random.nextInt(basis.length)];
        double mix = random.nextDouble();
        float[] v = new float[a.length];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (mix * a[i] + (1 - mix) * b[i] + 0.02 * random.nextGaussian());
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    static KafkaProducer<String, ItemEvent> producer(EmbeddedKraftCluster cluster) {
        Properties props = cluster.clientProperties();
        props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(
                props,
                Topics.ITEMS.keySerde().serializer(),
                Topics.ITEMS.valueSerde().serializer());
    }
}
