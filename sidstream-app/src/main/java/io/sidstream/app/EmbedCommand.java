package io.sidstream.app;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Npy;
import io.sidstream.sid.embed.SentenceEmbedder;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code embed --catalog FILE --out DIR [--batch N] [--threads N]}: embeds every catalog item's
 * text with the serving-time sentence encoder and writes {@code DIR/embeddings.npy} (float32
 * [items, 384], catalog order) and {@code DIR/items.tsv} ({@code item_id<TAB>text}). The trainer
 * reads exactly these files, so training and serving embeddings cannot drift apart.
 */
public final class EmbedCommand {
    private EmbedCommand() {}

    /** Runs the command; returns the process exit code. */
    public static int run(List<String> args, PrintStream out) throws IOException {
        Path catalog = null;
        Path outDir = null;
        int batch = 64;
        int threads = 0;
        for (int i = 0; i + 1 < args.size(); i += 2) {
            String value = args.get(i + 1);
            switch (args.get(i)) {
                case "--catalog" -> catalog = Path.of(value);
                case "--out" -> outDir = Path.of(value);
                case "--batch" -> batch = Integer.parseInt(value);
                case "--threads" -> threads = Integer.parseInt(value);
                default -> throw new IllegalArgumentException("unknown option " + args.get(i));
            }
        }
        if (args.size() % 2 != 0 || catalog == null || outDir == null || batch < 1) {
            throw new IllegalArgumentException(
                    "usage: embed --catalog FILE --out DIR [--batch N>=1] [--threads N]");
        }
        embed(Datasets.readCatalog(catalog), Map.of(), outDir, batch, threads, out);
        return 0;
    }

    /**
     * Writes {@code outDir/embeddings.npy} and {@code items.tsv} for {@code items}, in order: an
     * item in {@code given} keeps its own vector (listed with one, as ingest uses it), every other
     * item's text goes through the serving sentence encoder.
     */
    static void embed(
            List<CatalogItem> items,
            Map<String, float[]> given,
            Path outDir,
            int batch,
            int threads,
            PrintStream out)
            throws IOException {
        Files.createDirectories(outDir);
        long t0 = System.nanoTime();
        try (SentenceEmbedder embedder = SentenceEmbedder.load(threads);
                Npy.Writer vectors =
                        new Npy.Writer(
                                outDir.resolve("embeddings.npy"),
                                items.size(),
                                SentenceEmbedder.DIMENSION);
                BufferedWriter tsv =
                        Files.newBufferedWriter(
                                outDir.resolve("items.tsv"), StandardCharsets.UTF_8)) {
            for (int start = 0; start < items.size(); start += batch) {
                List<CatalogItem> chunk =
                        items.subList(start, Math.min(start + batch, items.size()));
                List<CatalogItem> texts =
                        chunk.stream().filter(c -> !given.containsKey(c.itemId())).toList();
                float[][] embedded =
                        texts.isEmpty()
                                ? new float[0][]
                                : embedder.embed(texts.stream().map(CatalogItem::text).toList());
                int next = 0;
                for (CatalogItem item : chunk) {
                    float[] own = given.get(item.itemId());
                    if (own != null && own.length != SentenceEmbedder.DIMENSION) {
                        throw new IllegalArgumentException(
                                item.itemId()
                                        + ": its vector has "
                                        + own.length
                                        + " dimensions, not "
                                        + SentenceEmbedder.DIMENSION);
                    }
                    vectors.write(own != null ? own : embedded[next++]);
                    tsv.write(item.itemId() + "\t" + item.text().replace('\t', ' ') + "\n");
                }
                int done = start + chunk.size();
                if (done == items.size() || (done / batch) % 20 == 0) {
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    out.printf(
                            Locale.ROOT,
                            "embedded %d/%d items (%.0f items/s)%n",
                            done,
                            items.size(),
                            done / seconds);
                }
            }
        }
        out.printf(
                Locale.ROOT,
                "wrote %s and %s (model %s, dim %d)%n",
                outDir.resolve("embeddings.npy"),
                outDir.resolve("items.tsv"),
                SentenceEmbedder.MODEL_ID,
                SentenceEmbedder.DIMENSION);
    }
}
