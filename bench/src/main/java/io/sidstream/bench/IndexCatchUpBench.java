package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.index.SidIndexFeed;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A retrieval instance's start-up on a large catalog, through a real (embedded) broker: N SIDs are
 * written to {@code items.sid.v1} (2 partitions), then a {@link SidIndexFeed} reads the topic from
 * the beginning into an empty index, as every instance does at start; the time is until it reports
 * caught up with all N live. Random 3-level SIDs over K = 256 with collision codes per prefix, ids
 * {@code s0..}. The broker shares the machine's cores with the feed.
 *
 * <p>Prints one JSON line. Usage: {@code IndexCatchUpBench [items=1000000]}.
 */
public final class IndexCatchUpBench {
    private IndexCatchUpBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            cluster.createTopics(List.of(Topics.ITEM_SIDS.toNewTopic(2, (short) 1)));
            Properties props = cluster.clientProperties();
            props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
            props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(1 << 20));
            props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
            long p0 = System.nanoTime();
            int[] collisions = new int[1 << 24];
            java.util.Random random = new java.util.Random(17);
            try (KafkaProducer<String, ItemSid> producer =
                    new KafkaProducer<>(
                            props,
                            Topics.ITEM_SIDS.keySerde().serializer(),
                            Topics.ITEM_SIDS.valueSerde().serializer())) {
                Instant listed = Instant.parse("2026-11-01T00:00:00Z");
                for (int i = 0; i < n; i++) {
                    int prefix = random.nextInt(1 << 24);
                    List<Integer> sid =
                            List.of(
                                    prefix >>> 16,
                                    (prefix >>> 8) & 255,
                                    prefix & 255,
                                    collisions[prefix]++);
                    String id = "s" + i;
                    producer.send(
                            new ProducerRecord<>(
                                    Topics.ITEM_SIDS.name(),
                                    id,
                                    ItemSid.newBuilder()
                                            .setItemId(id)
                                            .setSid(sid)
                                            .setModelVersion("bench")
                                            .setContentHash("h")
                                            .setItemEventTime(listed.plusMillis(i))
                                            .setAssignedAt(listed.plusMillis(i))
                                            .build()));
                }
            }
            double produceS = (System.nanoTime() - p0) / 1e9;
            SidTrie trie = new SidTrie(3, 256);
            long c0 = System.nanoTime();
            try (SidIndexFeed feed = new SidIndexFeed(cluster.clientProperties(), trie, "bench")) {
                feed.start();
                if (!feed.awaitCaughtUp(Duration.ofMinutes(10))) {
                    throw new IllegalStateException("not caught up after 10 minutes");
                }
                double catchUpS = (System.nanoTime() - c0) / 1e9;
                if (trie.size() != n) {
                    throw new IllegalStateException("index holds " + trie.size() + " of " + n);
                }
                System.out.printf(
                        Locale.ROOT,
                        "{\"bench\":\"index-catch-up\",\"items\":%d,\"produce_s\":%.1f,"
                                + "\"catch_up_s\":%.2f,\"sids_per_s\":%.0f,\"merges\":%d,"
                                + "\"packed_bytes_per_item\":%.1f}%n",
                        n,
                        produceS,
                        catchUpS,
                        n / catchUpS,
                        trie.merges(),
                        trie.baseBytes() / (double) n);
            }
        }
    }
}
