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
        List<CatalogItem> items = Datasets.readCatalog(catalog);
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
                float[][] embedded = embedder.embed(chunk.stream().map(CatalogItem::text).toList());
                for (int i = 0; i < chunk.size(); i++) {
                    vectors.write(embedded[i]);
                    tsv.write(
                            chunk.get(i).itemId()
                                    + "\t"
                                    + chunk.get(i).text().replace('\t', ' ')
                                    + "\n");
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
        return 0;
    }
}
