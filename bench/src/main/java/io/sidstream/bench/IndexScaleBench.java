package io.sidstream.bench;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.scale.ScaleGenerator;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.retrieval.beam.SidTrie;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the live SID index costs as the catalog grows: for each size, a {@link SidTrie} filled with
 * the scale generator's items (each a variant of a real catalog item: its real level-1 and level-2
 * codes, a level-3 code varied per variant, collision codes counted per prefix), then heap bytes
 * per item (after full GCs), insert rate (the catch-up of an instance reading items.sid.v1, minus
 * the Kafka reads) and the mask cost of one beam step at every level.
 *
 * <p>Usage: {@code IndexScaleBench [sizes=10000,100000,1000000]}; give the JVM the heap the largest
 * size needs (about 1.1 KB per item at 1M today). One JSON line per size.
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
        for (int n : sizes) {
            ScaleGenerator generator = new ScaleGenerator(catalog, n, 1.0, 7, 0, 86_400_000L);
            long before = usedHeapAfterGc();
            SidTrie trie = new SidTrie(levels, k);
            Map<Long, Integer> nextCollision = new HashMap<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
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
                trie.put(ScaleGenerator.itemId(i), sid, generator.listedAtMillis(i));
            }
            double insertPerS = n / ((System.nanoTime() - t0) / 1e9);
            nextCollision = null;
            long after = usedHeapAfterGc();
            double bytesPerItem = (after - before) / (double) n;
            // One beam step's mask at every level, over the prefixes of real items.
            boolean[] allowed = new boolean[k];
            int probes = 20_000;
            long m0 = System.nanoTime();
            long found = 0;
            for (int p = 0; p < probes; p++) {
                int[] sid = trie.sidOf(ScaleGenerator.itemId((int) ((p * 7919L) % n)));
                for (int l = 0; l < levels; l++) {
                    found += trie.allowedNext(sid, l, allowed);
                }
                found += trie.itemsUnder(sid).size();
            }
            double maskMicros = (System.nanoTime() - m0) / 1e3 / probes;
            System.out.printf(
                    Locale.ROOT,
                    "{\"bench\":\"index-scale\",\"items\":%d,\"live\":%d,\"bytes_per_item\":%.0f,"
                            + "\"insert_items_per_s\":%.0f,\"mask_all_levels_us\":%.2f,\"found\":%d}%n",
                    n,
                    trie.size(),
                    bytesPerItem,
                    insertPerS,
                    maskMicros,
                    found);
            if (trie.size() != n) {
                throw new IllegalStateException("index holds " + trie.size() + " of " + n);
            }
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
