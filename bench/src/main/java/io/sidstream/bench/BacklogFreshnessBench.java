package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Freshness behind a backlog, on a real (embedded) broker under exactly-once: N items are queued at
 * once (a bulk load), then one new item every {@code trickleMs} while the backlog drains. Prints
 * one JSON line: listed -> SID readable (read_committed) p50/p99 of the trickle items, and the
 * backlog's own throughput, measured in the same run.
 *
 * <p>Usage: {@code BacklogFreshnessBench [backlog=10000] [trickleMs=100]}.
 */
public final class BacklogFreshnessBench {
    private BacklogFreshnessBench() {}

    public static void main(String[] args) throws Exception {
        int backlog = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        long trickleMs = args.length > 1 ? Long.parseLong(args[1]) : 100;
        List<CatalogItem> catalog =
                Datasets.readCatalog(Path.of("data", "movietweetings-100k", "movies.dat"));
        Path state = Files.createTempDirectory("sidstream-bench");
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            cluster.createTopics(
                    io.sidstream.ingest.IngestService.REQUIRED_TOPICS.stream()
                            .map(t -> t.toNewTopic(2, (short) 1))
                            .toList());
            Map<String, String> env = new HashMap<>();
            env.put("SIDSTREAM_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
            env.put("SIDSTREAM_INGEST_APPLICATION_ID", "bench-backlog");
            env.put("SIDSTREAM_STATE_DIR", state.toString());
            env.put("SIDSTREAM_INGEST_HTTP_PORT", "0");
            env.put("SIDSTREAM_MODEL_THREADS", "1");
            env.put("SIDSTREAM_HISTORY_REQUEST_POLICY", "NEVER");
            try (IngestService ingest =
                            IngestService.start(IngestConfig.fromEnv(env), Duration.ofMinutes(2));
                    KafkaProducer<String, ItemEvent> producer =
                            ItemAssignmentBench.producer(cluster);
                    KafkaConsumer<String, ItemSid> consumer =
                            Arrivals.consumer(cluster, "bench-backlog-reader", Topics.ITEM_SIDS)) {
                long t0 = System.nanoTime();
                for (int i = 0; i < backlog; i++) {
                    producer.send(
                            ItemAssignmentBench.record("b" + i, catalog.get(i % catalog.size())));
                }
                producer.flush();
                Map<String, Long> sentAt = new ConcurrentHashMap<>();
                List<Long> trickle = new ArrayList<>();
                int backlogSeen = 0;
                int sent = 0;
                long nextSend = System.nanoTime();
                long backlogDone = 0;
                long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
                while ((backlogSeen < backlog || trickle.size() < sent)
                        && System.nanoTime() < deadline) {
                    if (backlogSeen < backlog && System.nanoTime() >= nextSend) {
                        String id = "t" + sent;
                        sentAt.put(id, System.nanoTime());
                        producer.send(
                                ItemAssignmentBench.record(
                                        id, catalog.get((backlog + sent) % catalog.size())));
                        producer.flush();
                        sent++;
                        nextSend += trickleMs * 1_000_000L;
                    }
                    for (ConsumerRecord<String, ItemSid> r : consumer.poll(Duration.ofMillis(10))) {
                        long now = System.nanoTime();
                        if (r.key().startsWith("b")) {
                            if (++backlogSeen == backlog) {
                                backlogDone = now;
                            }
                        } else if (sentAt.containsKey(r.key())) {
                            trickle.add(now - sentAt.get(r.key()));
                        }
                    }
                }
                long[] latencies = trickle.stream().mapToLong(Long::longValue).sorted().toArray();
                System.out.printf(
                        Locale.ROOT,
                        "{\"bench\":\"backlog-freshness\",\"backlog\":%d,\"trickle_every_ms\":%d,"
                                + "\"guarantee\":\"exactly_once_v2\",\"backlog_items_per_s\":%.1f,"
                                + "\"trickle_items\":%d,\"trickle_p50_ms\":%.1f,\"trickle_p99_ms\":%.1f,"
                                + "\"trickle_max_ms\":%.1f}%n",
                        backlog,
                        trickleMs,
                        backlog / ((backlogDone - t0) / 1e9),
                        latencies.length,
                        Arrivals.percentileMs(latencies, 0.5),
                        Arrivals.percentileMs(latencies, 0.99),
                        Arrivals.percentileMs(latencies, 1.0));
            }
        }
    }
}
