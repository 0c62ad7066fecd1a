package io.sidstream.app;

import io.sidstream.app.eval.EvalCase;
import io.sidstream.app.eval.RankMetrics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.onnx.SentenceSteering;
import io.sidstream.retrieval.request.HttpQuery;
import io.sidstream.sid.SidAssigner;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sidstream eval-steering}: what a sentence does to recommendations. For test cases of the
 * eval split (decoder alone, beam 128, seen items excluded), the query is the target item's own
 * genre text ("Animation, Family"); the sentence is mapped to SID codes by the bundle's encoder,
 * and the search runs without it, with soft steering at several weights, and with the hard include
 * (only the query's level-1 code). Reported: the share of top-10 results under the query's level-1
 * and level-2 prefixes, and Recall@10 / NDCG@10.
 */
final class SteeringEval {
    private static final int BATCH = 32;
    private static final int TOP = 10;

    private SteeringEval() {}

    /** One configuration's figures. */
    record Row(
            String setting,
            double underLevel1,
            double underLevel2,
            double recall10,
            double ndcg10,
            int cases) {
        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"setting\":\"%s\",\"top10_under_query_l1\":%.4f,\"top10_under_query_l2\":%.4f,"
                            + "\"recall@10\":%.4f,\"ndcg@10\":%.4f,\"cases\":%d}",
                    setting,
                    underLevel1,
                    underLevel2,
                    recall10,
                    ndcg10,
                    cases);
        }
    }

    static int run(List<String> args, PrintStream out) {
        Map<String, String> opts =
                ClientCommands.options(
                        args, List.of("--bundle", "--data-dir", "--users", "--beam", "--weights"));
        Path bundleDir = Path.of(opts.getOrDefault("--bundle", "models/default"));
        Path data = Path.of(opts.getOrDefault("--data-dir", "data/movietweetings-100k"));
        int users = Integer.parseInt(opts.getOrDefault("--users", "1000"));
        int beam = Integer.parseInt(opts.getOrDefault("--beam", "128"));
        java.util.Set<Double> distinct = new java.util.LinkedHashSet<>();
        for (String w :
                opts.getOrDefault("--weights", "1," + HttpQuery.DEFAULT_QUERY_WEIGHT + ",4")
                        .split(",")) {
            double weight = Double.parseDouble(w.trim());
            if (!(weight > 0 && weight <= 100)) {
                throw new IllegalArgumentException("--weights must be in (0, 100], got " + w);
            }
            distinct.add(weight);
        }
        List<Double> weights = List.copyOf(distinct);
        EvalCommand.Inputs in = EvalCommand.load(bundleDir, data, users);
        Map<String, String> genres = new HashMap<>();
        for (CatalogItem item :
                Datasets.readCatalog(
                        DemoOptions.parse(new String[] {"--data-dir", data.toString()})
                                .catalogFile())) {
            if (!item.categories().isEmpty()) {
                genres.put(item.itemId(), String.join(", ", item.categories()));
            }
        }
        List<EvalCase> cases = new ArrayList<>();
        for (EvalCase c : in.test()) {
            if (genres.containsKey(c.target())) {
                cases.add(c);
            }
        }
        List<Row> rows;
        try (DecoderSession session = DecoderSession.open(in.bundle(), ExecutionProvider.AUTO, 0);
                SentenceSteering text = new SentenceSteering(SidAssigner.open(in.bundle(), 0))) {
            BeamSearch search =
                    new BeamSearch(
                            new DecoderLogits(session),
                            in.layout(),
                            in.bundle().manifest().decoder().maxHistoryItems());
            rows = measure(in, cases, genres, text, search, beam, weights, out);
        }
        out.printf(
                Locale.ROOT,
                "%-22s %14s %14s %9s %8s   (%d test cases; query = the target's genres; decoder"
                        + " alone, beam %d)%n",
                "setting",
                "top10 under l1",
                "top10 under l2",
                "Recall@10",
                "NDCG@10",
                cases.size(),
                beam);
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%-22s %13.1f%% %13.1f%% %9.4f %8.4f%n",
                    r.setting(),
                    100 * r.underLevel1(),
                    100 * r.underLevel2(),
                    r.recall10(),
                    r.ndcg10());
        }
        rows.forEach(r -> out.println(r.json()));
        return 0;
    }

    static List<Row> measure(
            EvalCommand.Inputs in,
            List<EvalCase> cases,
            Map<String, String> queries,
            SentenceSteering text,
            BeamSearch search,
            int beam,
            List<Double> weights,
            PrintStream progress) {
        int maxHistory = in.bundle().manifest().decoder().maxHistoryItems();
        List<String> settings = new ArrayList<>(List.of("no query"));
        weights.forEach(w -> settings.add(String.format(Locale.ROOT, "soft, weight %s", w)));
        settings.add("include level 1");
        Map<String, double[]> under = new HashMap<>();
        Map<String, RankMetrics> ranks = new HashMap<>();
        settings.forEach(
                s -> {
                    under.put(s, new double[2]);
                    ranks.put(s, new RankMetrics());
                });
        ProgressBar bar =
                progress == null ? null : new ProgressBar(progress, "steering", cases.size());
        for (int start = 0; start < cases.size(); start += BATCH) {
            List<EvalCase> chunk = cases.subList(start, Math.min(cases.size(), start + BATCH));
            List<int[]> codes = new ArrayList<>();
            Map<String, List<BeamRequest>> requests = new HashMap<>();
            settings.forEach(s -> requests.put(s, new ArrayList<>()));
            for (EvalCase c : chunk) {
                List<String> history = c.history();
                BeamRequest plain =
                        new BeamRequest(
                                history
                                        .subList(
                                                Math.max(0, history.size() - maxHistory),
                                                history.size())
                                        .stream()
                                        .map(in.sids()::get)
                                        .toList(),
                                beam,
                                TOP,
                                new HashSet<>(history),
                                List.of(),
                                List.of());
                int[] q = text.codes(queries.get(c.target()));
                codes.add(q);
                requests.get("no query").add(plain);
                for (int w = 0; w < weights.size(); w++) {
                    requests.get(settings.get(w + 1)).add(plain.steeredToward(q, weights.get(w)));
                }
                requests.get("include level 1")
                        .add(
                                new BeamRequest(
                                        plain.history(),
                                        beam,
                                        TOP,
                                        plain.excludeItems(),
                                        List.of(new int[] {q[0]}),
                                        List.of()));
            }
            for (String s : settings) {
                List<BeamResult> results = search.search(requests.get(s), in.trie());
                for (int i = 0; i < chunk.size(); i++) {
                    List<BeamResult.Candidate> top = results.get(i).candidates();
                    int[] q = codes.get(i);
                    double l1 = 0;
                    double l2 = 0;
                    for (BeamResult.Candidate cand : top) {
                        if (cand.sid().get(0) == q[0]) {
                            l1++;
                            if (cand.sid().get(1) == q[1]) {
                                l2++;
                            }
                        }
                    }
                    under.get(s)[0] += l1 / TOP;
                    under.get(s)[1] += l2 / TOP;
                    ranks.get(s)
                            .add(
                                    top.stream()
                                            .map(BeamResult.Candidate::itemId)
                                            .toList()
                                            .indexOf(chunk.get(i).target()));
                }
            }
            if (bar != null) {
                bar.advance(chunk.size());
            }
        }
        if (bar != null) {
            bar.done();
        }
        List<Row> rows = new ArrayList<>();
        for (String s : settings) {
            RankMetrics m = ranks.get(s);
            rows.add(
                    new Row(
                            s,
                            under.get(s)[0] / Math.max(1, cases.size()),
                            under.get(s)[1] / Math.max(1, cases.size()),
                            m.recallAt10(),
                            m.ndcgAt10(),
                            cases.size()));
        }
        return rows;
    }
}
