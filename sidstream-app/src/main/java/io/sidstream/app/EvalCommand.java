package io.sidstream.app;

import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sidstream eval}: the offline evaluation of a bundle through the serving code (Java beam
 * search over the ONNX decoder), with the trainer's protocol: leave-last-out per user with at least
 * 5 interactions, history = all but the last item (the model reads the newest ones), items seen in
 * the history excluded, Recall@10/50/100 and NDCG@10, against a popularity baseline. The figures
 * should match the trainer's test metrics recorded in the bundle's manifest.
 */
final class EvalCommand {
    private static final int MIN_INTERACTIONS = 5;
    private static final int BATCH = 32;

    private EvalCommand() {}

    static int run(List<String> args, PrintStream out) {
        Path bundleDir = ModelBundle.DEFAULT_DIRECTORY;
        Path data = Path.of("data", "movietweetings-100k");
        int beam = 128;
        int users = Integer.MAX_VALUE;
        for (int i = 0; i < args.size(); i++) {
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            if (value == null) {
                throw new IllegalArgumentException(args.get(i) + " needs a value");
            }
            switch (args.get(i)) {
                case "--bundle" -> bundleDir = Path.of(value);
                case "--data-dir" -> data = Path.of(value);
                case "--beam" -> beam = Integer.parseInt(value);
                case "--users" -> users = Integer.parseInt(value);
                default ->
                        throw new IllegalArgumentException(
                                "unknown option "
                                        + args.get(i)
                                        + " (eval takes --bundle --data-dir --beam --users)");
            }
            i++;
        }
        ModelBundle bundle = ModelBundle.load(bundleDir);
        BundleManifest m = bundle.manifest();
        TokenLayout layout = DecoderLogits.layoutOf(m);
        SidTrie trie = new SidTrie(layout.levels(), m.sid().codebookSize());
        Map<String, int[]> sids = new HashMap<>();
        bundle.trainerItemSids()
                .forEach(
                        (item, codes) -> {
                            int[] sid = codes.stream().mapToInt(Integer::intValue).toArray();
                            trie.put(item, sid);
                            sids.put(item, sid);
                        });
        DemoOptions files = DemoOptions.parse(new String[] {"--data-dir", data.toString()});
        Map<String, List<String>> byUser = new LinkedHashMap<>();
        for (Interaction e : Datasets.readInteractions(files.interactionsFile())) {
            if (sids.containsKey(e.itemId())) {
                byUser.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e.itemId());
            }
        }
        // Popularity over what the trainer trains on: all but the last two items of test users.
        Map<String, Integer> popularity = new HashMap<>();
        List<List<String>> cases = new ArrayList<>();
        for (List<String> seq : byUser.values()) {
            boolean test = seq.size() >= MIN_INTERACTIONS;
            seq.subList(0, test ? seq.size() - 2 : seq.size())
                    .forEach(i -> popularity.merge(i, 1, Integer::sum));
            if (test && cases.size() < users) {
                cases.add(seq);
            }
        }
        List<String> ranking =
                popularity.entrySet().stream()
                        .sorted(
                                Map.Entry.<String, Integer>comparingByValue(
                                        Comparator.reverseOrder()))
                        .map(Map.Entry::getKey)
                        .toList();
        int maxHistory = m.decoder().maxHistoryItems();
        Metrics model = new Metrics();
        Metrics popular = new Metrics();
        ProgressBar bar = new ProgressBar(out, "evaluate", cases.size());
        try (DecoderSession session = DecoderSession.open(bundle, ExecutionProvider.AUTO, 0)) {
            BeamSearch search = new BeamSearch(new DecoderLogits(session), layout, maxHistory);
            for (int start = 0; start < cases.size(); start += BATCH) {
                List<List<String>> chunk =
                        cases.subList(start, Math.min(cases.size(), start + BATCH));
                List<BeamRequest> requests = new ArrayList<>();
                for (List<String> seq : chunk) {
                    List<String> history = seq.subList(0, seq.size() - 1);
                    List<int[]> codes =
                            history
                                    .subList(
                                            Math.max(0, history.size() - maxHistory),
                                            history.size())
                                    .stream()
                                    .map(sids::get)
                                    .toList();
                    requests.add(
                            new BeamRequest(
                                    codes,
                                    beam,
                                    100,
                                    new HashSet<>(history),
                                    List.of(),
                                    List.of()));
                }
                List<BeamResult> results = search.search(requests, trie);
                for (int r = 0; r < chunk.size(); r++) {
                    List<String> seq = chunk.get(r);
                    String target = seq.get(seq.size() - 1);
                    List<String> ranked =
                            results.get(r).candidates().stream()
                                    .map(BeamResult.Candidate::itemId)
                                    .toList();
                    model.add(ranked.indexOf(target));
                    Set<String> seen = new HashSet<>(seq.subList(0, seq.size() - 1));
                    List<String> top = new ArrayList<>();
                    for (String item : ranking) {
                        if (top.size() == 100) {
                            break;
                        }
                        if (!seen.contains(item)) {
                            top.add(item);
                        }
                    }
                    popular.add(top.indexOf(target));
                }
                bar.advance(chunk.size());
            }
        }
        bar.done();
        out.printf(
                Locale.ROOT,
                "{\"eval\":\"leave-last-out\",\"bundle\":\"%s\",\"users\":%d,\"beam\":%d,"
                        + "\"model\":%s,\"popularity\":%s,\"trainer_reported\":%s}%n",
                bundle.version(),
                cases.size(),
                beam,
                model.json(),
                popular.json(),
                trainerFigures(m));
        return 0;
    }

    private static String trainerFigures(BundleManifest m) {
        return m.metrics() == null || !m.metrics().has("test")
                ? "null"
                : m.metrics().get("test").toString();
    }

    /** Hit rates at 10/50/100 and NDCG@10 of ranks (-1 = not in the top 100). */
    private static final class Metrics {
        private int n;
        private final int[] hits = new int[3];
        private double ndcg;

        void add(int rank) {
            n++;
            int[] ks = {10, 50, 100};
            for (int i = 0; i < ks.length; i++) {
                hits[i] += rank >= 0 && rank < ks[i] ? 1 : 0;
            }
            if (rank >= 0 && rank < 10) {
                ndcg += 1.0 / (Math.log(rank + 2) / Math.log(2));
            }
        }

        String json() {
            double d = Math.max(n, 1);
            return String.format(
                    Locale.ROOT,
                    "{\"recall@10\":%.4f,\"recall@50\":%.4f,\"recall@100\":%.4f,\"ndcg@10\":%.4f}",
                    hits[0] / d,
                    hits[1] / d,
                    hits[2] / d,
                    ndcg / d);
        }
    }
}
