package io.sidstream.app;

import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.tokens.NgramSidTokenizer;
import io.sidstream.model.tokens.RankerTokenizers;
import io.sidstream.model.tokens.SidTokenizer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sidstream tokenizers}: how the bundle's ranker tokenizers and the n-gram baselines cut the
 * catalog's SIDs. Per tokenizer: vocabulary size, rows a ranker actually uses, tokens per item for
 * head items (the most interacted items that make up half of all interactions), tail items and
 * cold-start items (first seen after the tokenizer's corpus boundary), and the share of cold-start
 * items whose tokens all occur in some corpus item's tokens: the ones a ranker trained on the
 * corpus items has an embedding for.
 */
final class TokenizerReport {
    private TokenizerReport() {}

    /** The figures of one tokenizer. */
    record Row(
            String name,
            int vocabSize,
            int rowsUsed,
            double tokensHead,
            double tokensTail,
            double tokensCold,
            double coldAllKnown,
            int coldItems) {
        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"tokenizer\":\"%s\",\"vocab\":%d,\"rows_used\":%d,\"tokens_per_item\":"
                            + "{\"head\":%.3f,\"tail\":%.3f,\"cold_start\":%.3f},"
                            + "\"cold_start_all_known\":%.4f,\"cold_start_items\":%d}",
                    name,
                    vocabSize,
                    rowsUsed,
                    tokensHead,
                    tokensTail,
                    tokensCold,
                    coldAllKnown,
                    coldItems);
        }
    }

    static int run(List<String> args, PrintStream out) {
        Map<String, String> opts = ClientCommands.options(args, List.of("--bundle", "--data-dir"));
        Path bundleDir =
                Path.of(opts.getOrDefault("--bundle", ModelBundle.DEFAULT_DIRECTORY.toString()));
        Path data = Path.of(opts.getOrDefault("--data-dir", "data/movietweetings-100k"));
        ModelBundle bundle = ModelBundle.load(bundleDir);
        if (bundle.manifest().rankerTokenizers() == null) {
            throw new IllegalArgumentException(
                    "bundle "
                            + bundle.version()
                            + " ships no ranker tokenizers (python3 -m sidstream_train.tokenizer adds them)");
        }
        List<Interaction> events =
                Datasets.readInteractions(
                        DemoOptions.parse(new String[] {"--data-dir", data.toString()})
                                .interactionsFile());
        long boundary = bundle.manifest().rankerTokenizers().coldStartBoundaryMillis();
        List<Row> rows = measure(bundle, events, boundary);
        out.printf(
                Locale.ROOT,
                "%-12s %8s %9s %7s %7s %7s %13s   (tokens per item; cold-start: %d items first"
                        + " seen after the corpus)%n",
                "tokenizer",
                "vocab",
                "rows used",
                "head",
                "tail",
                "cold",
                "cold known",
                rows.get(0).coldItems());
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%-12s %8d %9d %7.2f %7.2f %7.2f %12.1f%%%n",
                    r.name(),
                    r.vocabSize(),
                    r.rowsUsed(),
                    r.tokensHead(),
                    r.tokensTail(),
                    r.tokensCold(),
                    100 * r.coldAllKnown());
        }
        for (Row r : rows) {
            out.println(r.json());
        }
        return 0;
    }

    static List<Row> measure(ModelBundle bundle, List<Interaction> events, long boundary) {
        Map<String, List<Integer>> sids = bundle.trainerItemSids();
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Long> firstSeen = new HashMap<>();
        for (Interaction e : events) {
            counts.merge(e.itemId(), 1, Integer::sum);
            firstSeen.merge(e.itemId(), e.timestampMillis(), Math::min);
        }
        Set<String> cold = new HashSet<>();
        Set<String> corpus = new HashSet<>();
        for (String item : sids.keySet()) {
            Long seen = firstSeen.get(item);
            if (seen == null) {
                continue;
            }
            (seen < boundary ? corpus : cold).add(item);
        }
        List<String> byCount =
                corpus.stream()
                        .sorted((a, b) -> Integer.compare(counts.get(b), counts.get(a)))
                        .toList();
        long total = byCount.stream().mapToLong(counts::get).sum();
        Set<String> head = new HashSet<>();
        long covered = 0;
        for (String item : byCount) {
            if (covered * 2 >= total) {
                break;
            }
            head.add(item);
            covered += counts.get(item);
        }
        int positions = bundle.manifest().sid().levels() + 1;
        int codes = bundle.manifest().rankerTokenizers().codesPerLevel();
        List<SidTokenizer> tokenizers = new ArrayList<>(RankerTokenizers.of(bundle));
        tokenizers.add(new NgramSidTokenizer(1, positions, codes));
        tokenizers.add(new NgramSidTokenizer(2, positions, codes));
        if (tokenizers.stream().map(SidTokenizer::name).distinct().count() != tokenizers.size()) {
            throw new IllegalArgumentException(
                    "a bundle tokenizer has a baseline's name (ngram-1, ngram-2)");
        }
        List<Row> rows = new ArrayList<>();
        for (SidTokenizer t : tokenizers) {
            Set<Integer> seen = new HashSet<>();
            double headTokens = 0;
            double tailTokens = 0;
            for (String item : corpus) {
                int[] ids = t.tokenize(sids.get(item));
                for (int id : ids) {
                    seen.add(id);
                }
                if (head.contains(item)) {
                    headTokens += ids.length;
                } else {
                    tailTokens += ids.length;
                }
            }
            double coldTokens = 0;
            int known = 0;
            for (String item : cold) {
                int[] ids = t.tokenize(sids.get(item));
                coldTokens += ids.length;
                boolean all = true;
                for (int id : ids) {
                    all &= id != t.unknownId() && seen.contains(id);
                }
                known += all ? 1 : 0;
            }
            rows.add(
                    new Row(
                            t.name(),
                            t.vocabSize(),
                            seen.size(),
                            headTokens / Math.max(1, head.size()),
                            tailTokens / Math.max(1, corpus.size() - head.size()),
                            coldTokens / Math.max(1, cold.size()),
                            cold.isEmpty() ? 1 : known / (double) cold.size(),
                            cold.size()));
        }
        return rows;
    }
}
