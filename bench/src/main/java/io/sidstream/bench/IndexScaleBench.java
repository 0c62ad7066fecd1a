package io.sidstream.bench;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.scale.ScaleGenerator;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.beam.CompactTrie;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.index.SidIndexFeed;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the live SID index costs as the catalog grows. For each size, the scale generator's items
 * (each a variant of a real catalog item: its real level-1 and level-2 codes, a level-3 code varied
 * per variant, collision codes counted per prefix) are encoded as items.sid.v1 values, then:
 *
 * <ul>
 *   <li>catch-up: decoded and merged in batches as {@link SidIndexFeed} does (an instance's
 *       start-up minus the broker reads);
 *   <li>heap bytes per item after full GCs, and the packed arrays' share of them;
 *   <li>the mask cost of one beam step at every level plus the leaf;
 *   <li>a live stream of single puts on top (moves and new listings) and the bytes per item after
 *       it, delta and merges included.
 * </ul>
 *
 * <p>Usage: {@code IndexScaleBench [sizes=10000,100000,1000000]}; give the JVM about 100 bytes per
 * item of the largest size (the merge holds the old and the new base). One JSON line per size.
 */
public final class IndexScaleBench {
    private IndexScaleBench() {}

    public static void main(String[] args) {
        List<Integer> sizes = new ArrayList<>();
        for (String s : (args.length > 0 ? args[0] : "10000,100000,1000000").split(",")) {
            sizes.add(Integer.parseInt(s.trim()));
        }
        List<CatalogItem> catalog =
                Datasets.readCatalog(Path.of("data", "movietweetings-100k", "movies.dat"));
        ModelBundle bundle = ModelBundle.load(ModelBundle.DEFAULT_DIRECTORY);
        Map<String, List<Integer>> realSids = bundle.trainerItemSids();
        int levels = bundle.manifest().sid().levels();
        int k = bundle.manifest().sid().codebookSize();
        Deserializer<ItemSid> decoder = Topics.ITEM_SIDS.valueSerde().deserializer();
        Serializer<ItemSid> encoder = Topics.ITEM_SIDS.valueSerde().serializer();
        String topic = Topics.ITEM_SIDS.name();
        for (int n : sizes) {
            ScaleGenerator generator = new ScaleGenerator(catalog, n, 1.0, 7, 0, 86_400_000L);
            long before = usedHeapAfterGc();
            SidTrie trie = new SidTrie(levels, k);
            Map<Long, Integer> nextCollision = new HashMap<>();
            // Catch-up as SidIndexFeed does it: decode each items.sid.v1 value, gather the
            // backlog in batches, merge each batch. Encoding the records is not timed.
            long catchUpNanos = 0;
            long mergeNanos = 0;
            SidTrie.Batch backlog = trie.newBatch();
            int chunk = 65_536;
            byte[][] encoded = new byte[chunk][];
            for (int from = 0; from < n; from += chunk) {
                int to = Math.min(n, from + chunk);
                for (int i = from; i < to; i++) {
                    int[] sid = scaleSid(generator, catalog, realSids, levels, k, i, nextCollision);
                    List<Integer> codes = new ArrayList<>(sid.length);
                    for (int c : sid) {
                        codes.add(c);
                    }
                    Instant listed = Instant.ofEpochMilli(generator.listedAtMillis(i));
                    encoded[i - from] =
                            encoder.serialize(
                                    topic,
                                    ItemSid.newBuilder()
                                            .setItemId(ScaleGenerator.itemId(i))
                                            .setSid(codes)
                                            .setModelVersion("bench")
                                            .setContentHash("h")
                                            .setItemEventTime(listed)
                                            .setAssignedAt(listed)
                                            .build());
                }
                long t0 = System.nanoTime();
                for (int i = from; i < to; i++) {
                    ItemSid record = decoder.deserialize(topic, encoded[i - from]);
                    int[] sid = record.getSid().stream().mapToInt(Integer::intValue).toArray();
                    trie.checkSid(sid);
                    backlog.put(
                            ScaleGenerator.itemId(i),
                            sid,
                            record.getItemEventTime().toEpochMilli());
                    if (backlog.size() >= SidIndexFeed.backlogBatch(trie.size())) {
                        mergeNanos += timedApply(trie, backlog);
                    }
                }
                if (to == n) {
                    mergeNanos += timedApply(trie, backlog);
                }
                catchUpNanos += System.nanoTime() - t0;
            }
            encoded = null;
            nextCollision = null;
            long catchUpMerges = trie.merges();
            long after = usedHeapAfterGc();
            double bytesPerItem = (after - before) / (double) n;
            double packedPerItem = trie.baseBytes() / (double) n;
            double maskMicros = maskMicros(trie, n, levels, k);
            // The one-graph search's trie input, built once per index version, and the prior's
            // per-node bias it takes with every batch (the prior fed up to a million events).
            long c0 = System.nanoTime();
            CompactTrie compact = CompactTrie.of(trie);
            double compactMs = (System.nanoTime() - c0) / 1e6;
            PopularityPrior prior = new PopularityPrior(levels, k, Duration.ofHours(24), 0.1);
            for (int e = 0; e < Math.min(1_000_000, n); e++) {
                String id = ScaleGenerator.itemId((int) ((e * 2_654_435_761L) % n));
                prior.observe(id, trie.sidOf(id), e * 1_000L);
            }
            compact.nodeBias(prior, 1.5, prior.unitNow()); // warm-up
            long b0 = System.nanoTime();
            compact.nodeBias(prior, 1.5, prior.unitNow());
            double biasMs = (System.nanoTime() - b0) / 1e6;
            double graphInputMb =
                    (compact.innerNodes() * (compact.bytesPerNode() + 8.0) + compact.nodes() * 4.0)
                            / 1e6;
            // Then the live stream: one put at a time, half moves of listed items to another
            // level-3 code, half new listings.
            int streamed = Math.min(200_000, Math.max(10_000, n / 10));
            long s0 = System.nanoTime();
            for (int u = 0; u < streamed; u++) {
                if (u % 2 == 0) {
                    int i = (int) ((u * 7919L) % n);
                    int[] sid = trie.sidOf(ScaleGenerator.itemId(i));
                    sid[levels - 1] = (sid[levels - 1] + 1) % k;
                    sid[levels] += 1_000;
                    trie.put(ScaleGenerator.itemId(i), sid, generator.listedAtMillis(i) + 1);
                } else {
                    int[] sid = trie.sidOf(ScaleGenerator.itemId(u % n));
                    sid[levels] += 2_000 + u;
                    trie.put("new-" + u, sid, 86_400_000L + u);
                }
            }
            double streamPerS = streamed / ((System.nanoTime() - s0) / 1e9);
            long streamMerges = trie.merges() - catchUpMerges;
            double bytesAfterStream = (usedHeapAfterGc() - before) / (double) trie.size();
            System.out.printf(
                    Locale.ROOT,
                    "{\"bench\":\"index-scale\",\"items\":%d,\"bytes_per_item\":%.1f,"
                            + "\"packed_bytes_per_item\":%.1f,\"catch_up_s\":%.2f,"
                            + "\"catch_up_items_per_s\":%.0f,\"catch_up_merge_s\":%.2f,\"catch_up_merges\":%d,"
                            + "\"mask_all_levels_us\":%.2f,\"stream_updates\":%d,"
                            + "\"stream_updates_per_s\":%.0f,\"stream_merges\":%d,"
                            + "\"bytes_per_item_after_stream\":%.1f,\"live\":%d,"
                            + "\"graph_trie_nodes\":%d,\"graph_trie_build_ms\":%.1f,"
                            + "\"graph_trie_input_mb\":%.2f,\"graph_node_bias_ms\":%.1f}%n",
                    n,
                    bytesPerItem,
                    packedPerItem,
                    catchUpNanos / 1e9,
                    n / (catchUpNanos / 1e9),
                    mergeNanos / 1e9,
                    catchUpMerges,
                    maskMicros,
                    streamed,
                    streamPerS,
                    streamMerges,
                    bytesAfterStream,
                    trie.size(),
                    compact.nodes(),
                    compactMs,
                    graphInputMb,
                    biasMs);
            if (trie.size() != n + streamed / 2) {
                throw new IllegalStateException(
                        "index holds " + trie.size() + " of " + (n + streamed / 2));
            }
        }
    }

    private static long timedApply(SidTrie trie, SidTrie.Batch backlog) {
        long t0 = System.nanoTime();
        trie.applyAll(backlog);
        return System.nanoTime() - t0;
    }

    /** A scale item's SID: its real item's codes, the last level varied per variant. */
    private static int[] scaleSid(
            ScaleGenerator generator,
            List<CatalogItem> catalog,
            Map<String, List<Integer>> realSids,
            int levels,
            int k,
            int i,
            Map<Long, Integer> nextCollision) {
        List<Integer> real = realSids.get(catalog.get(generator.baseIndex(i)).itemId());
        int variant = i / catalog.size();
        int[] sid = new int[levels + 1];
        for (int l = 0; l < levels; l++) {
            sid[l] = real.get(l);
        }
        sid[levels - 1] = (real.get(levels - 1) + variant * 37) % k;
        long prefix = 0;
        for (int l = 0; l < levels; l++) {
            prefix = prefix * k + sid[l];
        }
        sid[levels] = nextCollision.merge(prefix, 1, Integer::sum) - 1;
        return sid;
    }

    /** One beam step's mask at every level plus the leaf, over the prefixes of listed items. */
    private static double maskMicros(SidTrie trie, int n, int levels, int k) {
        boolean[] allowed = new boolean[k];
        int probes = 20_000;
        long found = 0;
        long m0 = 0;
        for (int round = 0; round < 2; round++) {
            // The first round warms the code up.
            m0 = System.nanoTime();
            for (int p = 0; p < probes; p++) {
                int[] sid = trie.sidOf(ScaleGenerator.itemId((int) ((p * 7919L) % n)));
                for (int l = 0; l < levels; l++) {
                    found += trie.allowedNext(sid, l, allowed);
                }
                found += trie.itemsUnder(sid).size();
            }
        }
        if (found == 0) {
            throw new IllegalStateException("no prefix found");
        }
        return (System.nanoTime() - m0) / 1e3 / probes;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
