package io.sidstream.app;

import io.sidstream.app.eval.EvalCase;
import io.sidstream.app.eval.ItemKnn;
import io.sidstream.app.eval.RankMetrics;
import io.sidstream.app.eval.RecentPopularity;
import io.sidstream.app.eval.TrainerBaselines;
import io.sidstream.app.eval.UniformLogits;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.PriorSettings;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.RetrievalSetting;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
 * search over the ONNX decoder) with the trainer's protocol: leave-last-out per user with at least
 * 5 interactions, history = all but the last item (the model reads the newest ones), items seen in
 * the history excluded, Recall@10/50/100 and NDCG@10, overall and on the cold-start slice (targets
 * first seen in the last tenth of the period, as the trainer defines it).
 *
 * <p>The request time of a case is the time of its target interaction. Cases are replayed in time
 * order, and every time-aware signal counts only events strictly before it: the live popularity
 * prior the serving code folds into the beam, and the recent-popularity baselines. Beside the
 * decoder it reports the decoder with the prior, the prior alone (beam search over a uniform
 * decoder), all-time popularity (over the training sequences), popularity of the 1 and 7 days
 * before the request, and item-kNN (co-occurrence within 10 positions of the training sequences,
 * scored from the last 3 history items). {@code --tune} picks the prior's weight and half-life on
 * the validation split (each user's second-to-last item) first.
 */
final class EvalCommand {
    private static final int MIN_INTERACTIONS = 5;
    private static final int BATCH = 32;

    /** A batch never spans more than this, so no case is scored on a prior older than it. */
    private static final long BATCH_SPAN_MILLIS = Duration.ofHours(1).toMillis();

    private static final int TOP = 100;
    private static final double COLD_START_FRACTION = 0.1;
    private static final long DAY = Duration.ofDays(1).toMillis();

    /** The fresh-item share measured beside the default (slots off): the former default. */
    private static final double FRESH_SLOTS_COMPARED = 0.10;

    private EvalCommand() {}

    /**
     * Extra rows: the served search with young items ranked by the prior ({@link
     * BeamSearch#withYoungItems}), one per offset; none by default.
     */
    record YoungRows(List<Double> offsets, Duration window, int candidates) {
        static final YoungRows NONE = new YoungRows(List.of(), Duration.ofDays(7), 50);
    }

    /** Everything the evaluation reads, loaded once. */
    record Inputs(
            ModelBundle bundle,
            TokenLayout layout,
            SidTrie trie,
            Map<String, int[]> sids,
            List<String> eventItems,
            long[] eventTimes,
            List<EvalCase> test,
            List<EvalCase> validation,
            List<String> popularity,
            ItemKnn knn,
            long coldStartAfter) {}

    static int run(List<String> args, PrintStream out) {
        Path bundleDir = ModelBundle.DEFAULT_DIRECTORY;
        Path data = Path.of("data", "movietweetings-100k");
        int beam = 128;
        int users = Integer.MAX_VALUE;
        boolean tune = false;
        boolean save = false;
        int tuneUsers = Integer.MAX_VALUE;
        List<Double> tuneWeights = List.of(1.0, 2.0, 4.0);
        List<Double> tuneHalfLivesHours = List.of(12.0, 24.0, 72.0);
        // Unset: what retrieval-server would serve with, the bundle's settings or the defaults.
        Double weight = null;
        Double halfLifeDays = null;
        Double pseudoCount = null;
        List<Double> youngOffsets = List.of();
        RetrievalConfig served = RetrievalConfig.fromEnv(Map.of());
        // Extra young-item rows vary the offset around what is served.
        double youngWindowDays =
                (served.youngItemWindow().isZero() ? Duration.ofDays(7) : served.youngItemWindow())
                                .toMinutes()
                        / (24 * 60.0);
        String split = "test";
        int youngCandidates = served.youngItemCandidates();
        Path tuneBundleDir = null;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--tune")) {
                tune = true;
                continue;
            }
            if (args.get(i).equals("--save")) {
                save = true;
                continue;
            }
            String value = i + 1 < args.size() ? args.get(i + 1) : null;
            if (value == null) {
                throw new IllegalArgumentException(args.get(i) + " needs a value");
            }
            switch (args.get(i)) {
                case "--bundle" -> bundleDir = Path.of(value);
                case "--data-dir" -> data = Path.of(value);
                case "--beam" -> beam = Integer.parseInt(value);
                case "--users" -> users = Integer.parseInt(value);
                case "--tune-users" -> tuneUsers = Integer.parseInt(value);
                case "--tune-bundle" -> tuneBundleDir = Path.of(value);
                case "--tune-weights" -> tuneWeights = numbers(value);
                case "--tune-half-lives-hours" -> tuneHalfLivesHours = numbers(value);
                case "--prior-weight" -> weight = Double.parseDouble(value);
                case "--half-life-days" -> halfLifeDays = Double.parseDouble(value);
                case "--pseudo-count" -> pseudoCount = Double.parseDouble(value);
                case "--young-offsets" -> youngOffsets = numbers(value);
                case "--young-window-days" -> youngWindowDays = Double.parseDouble(value);
                case "--split" -> {
                    if (!value.equals("test") && !value.equals("validation")) {
                        throw new IllegalArgumentException("--split is test or validation");
                    }
                    split = value;
                }
                case "--young-candidates" -> youngCandidates = Integer.parseInt(value);
                default ->
                        throw new IllegalArgumentException(
                                "unknown option "
                                        + args.get(i)
                                        + " (eval takes --bundle --data-dir --beam --users"
                                        + " --prior-weight --half-life-days --pseudo-count --tune"
                                        + " --tune-users --tune-weights --tune-half-lives-hours"
                                        + " --tune-bundle"
                                        + " --save --split --young-offsets --young-window-days"
                                        + " --young-candidates)");
            }
            i++;
        }
        if (save && !tune) {
            throw new IllegalArgumentException("--save stores what --tune chose: give both");
        }
        if (tuneBundleDir != null && !tune) {
            throw new IllegalArgumentException("--tune-bundle names the decoder --tune tunes with");
        }
        Inputs in = load(bundleDir, data, users);
        if (fitOnValidation(in.bundle().manifest())
                && (split.equals("validation") || (tune && tuneBundleDir == null))) {
            out.println(
                    "note: this bundle's decoder was also trained on the validation targets, so"
                            + " validation flatters it; tune with the decoder of its selection run"
                            + " (--tune-bundle)");
        }
        // The prior retrieval-server serves this bundle with when no SIDSTREAM_PRIOR_* key is set:
        // the bundle's own, else the settings' defaults.
        PriorSettings servedPrior = served.priorFor(in.bundle().manifest().prior());
        PriorSettings prior =
                new PriorSettings(
                        weight != null ? weight : servedPrior.weight(),
                        halfLifeDays != null
                                ? Duration.ofMinutes((long) (halfLifeDays * 24 * 60))
                                : servedPrior.halfLife(),
                        pseudoCount != null ? pseudoCount : servedPrior.pseudoCount());
        try (DecoderSession session = DecoderSession.open(in.bundle(), ExecutionProvider.AUTO, 0)) {
            DecoderLogits decoder = new DecoderLogits(session);
            if (tune) {
                Inputs tuneIn = tuneBundleDir == null ? in : load(tuneBundleDir, data, users);
                requireSameSids(tuneIn, in);
                String tunedWith = tuneIn.bundle().version();
                // Another decoder gets a session of its own; null (nothing to close) otherwise.
                try (DecoderSession tuneSession =
                        tuneIn == in
                                ? null
                                : DecoderSession.open(tuneIn.bundle(), ExecutionProvider.AUTO, 0)) {
                    prior =
                            tune(
                                    tuneIn,
                                    tuneSession == null ? decoder : new DecoderLogits(tuneSession),
                                    beam,
                                    tuneUsers,
                                    tuneWeights,
                                    tuneHalfLivesHours,
                                    prior.pseudoCount(),
                                    served,
                                    out);
                }
                if (save) {
                    String chosenOn =
                            String.format(
                                    Locale.ROOT,
                                    "the validation split (%d cases, beam %d) with the decoder of"
                                            + " %s, weights %s x half-lives %s h, by"
                                            + " R@10+R@50+R@100+NDCG@10, young items %s",
                                    Math.min(tuneUsers, in.validation().size()),
                                    beam,
                                    tunedWith,
                                    tuneWeights,
                                    tuneHalfLivesHours,
                                    served.youngItemWindow().isZero()
                                            ? "off"
                                            : String.format(
                                                    Locale.ROOT,
                                                    "as served (%d h, %d candidates, offset %s)",
                                                    served.youngItemWindow().toHours(),
                                                    served.youngItemCandidates(),
                                                    served.youngItemOffset()));
                    ModelBundle.writePrior(bundleDir, prior.toManifest(chosenOn));
                    out.println(
                            "saved in " + bundleDir.resolve("manifest.json") + ": " + prior.json());
                }
            }
            Map<String, RankMetrics[]> methods = new LinkedHashMap<>();
            YoungRows young =
                    new YoungRows(
                            youngOffsets,
                            Duration.ofMinutes((long) (youngWindowDays * 24 * 60)),
                            youngCandidates);
            evaluate(
                    in,
                    split.equals("validation") ? in.validation() : in.test(),
                    decoder,
                    beam,
                    prior,
                    served,
                    young,
                    true,
                    methods,
                    out);
            BundleManifest m = in.bundle().manifest();
            StringBuilder json = new StringBuilder();
            methods.forEach(
                    (name, metrics) ->
                            json.append(json.length() == 0 ? "" : ",")
                                    .append('"')
                                    .append(name)
                                    .append("\":{\"all\":")
                                    .append(metrics[0].json())
                                    .append(",\"cold_start\":")
                                    .append(metrics[1].json())
                                    .append('}'));
            out.println();
            out.printf(
                    Locale.ROOT,
                    "%-28s %6s %6s %6s %6s   (cold-start slice: %d of %d cases, targets first seen"
                            + " after %s)%n",
                    "method",
                    "R@10",
                    "R@50",
                    "R@100",
                    "N@10",
                    methods.values().iterator().next()[1].cases(),
                    methods.values().iterator().next()[0].cases(),
                    Instant.ofEpochMilli(in.coldStartAfter()).atZone(ZoneOffset.UTC).toLocalDate());
            methods.forEach((name, metrics) -> out.println(metrics[0].row(name)));
            TrainerBaselines trained = TrainerBaselines.of(m);
            trained.rows("all").forEach(out::println);
            out.println("cold-start:");
            methods.forEach((name, metrics) -> out.println(metrics[1].row(name)));
            trained.rows("cold_start").forEach(out::println);
            out.printf(
                    Locale.ROOT,
                    "{\"eval\":\"leave-last-out\",\"split\":\"%s\",\"bundle\":\"%s\",\"users\":%d,"
                            + "\"beam\":%d,"
                            + "\"request_time\":\"the target interaction's time; every signal"
                            + " counts only events before it\",\"prior\":%s,\"methods\":{%s},"
                            + "\"trainer_reported\":%s,\"trainer_baselines\":%s}%n",
                    split,
                    in.bundle().version(),
                    in.test().size(),
                    beam,
                    prior.json(),
                    json,
                    trainerFigures(m),
                    trained.json());
        }
        return 0;
    }

    /**
     * Whether the bundle's decoder was also trained on every user's validation target (a refit once
     * its schedule was chosen), as the trainer records it.
     */
    static boolean fitOnValidation(BundleManifest m) {
        return m.metrics() != null && m.metrics().path("fitOnValidationTargets").asBoolean(false);
    }

    /** A prior tuned with another decoder must be tuned on the same items under the same SIDs. */
    static void requireSameSids(Inputs tuning, Inputs evaluated) {
        boolean same =
                tuning == evaluated
                        || tuning.sids().size() == evaluated.sids().size()
                                && evaluated.sids().entrySet().stream()
                                        .allMatch(
                                                e ->
                                                        java.util.Arrays.equals(
                                                                e.getValue(),
                                                                tuning.sids().get(e.getKey())));
        if (!same) {
            throw new IllegalArgumentException(
                    "--tune-bundle "
                            + tuning.bundle().version()
                            + " has other item SIDs than "
                            + evaluated.bundle().version()
                            + ": tune with a decoder of the same SID space");
        }
    }

    private static List<Double> numbers(String csv) {
        return java.util.Arrays.stream(csv.split(","))
                .map(String::trim)
                .map(Double::valueOf)
                .toList();
    }

    /**
     * Grid search of the prior's weight and half-life on the validation split, by the sum of
     * Recall@10/50/100 and NDCG@10 (the goal is all four, not one).
     */
    private static PriorSettings tune(
            Inputs in,
            LogitsFn decoder,
            int beam,
            int tuneUsers,
            List<Double> weights,
            List<Double> halfLivesHours,
            double pseudoCount,
            RetrievalConfig served,
            PrintStream out) {
        List<EvalCase> cases =
                in.validation().subList(0, Math.min(tuneUsers, in.validation().size()));
        PriorSettings best = null;
        double bestScore = -1;
        for (double halfLifeHours : halfLivesHours) {
            for (double weight : weights) {
                PriorSettings candidate =
                        new PriorSettings(
                                weight,
                                Duration.ofMinutes((long) (halfLifeHours * 60)),
                                pseudoCount);
                Map<String, RankMetrics[]> methods = new LinkedHashMap<>();
                evaluate(
                        in,
                        cases,
                        decoder,
                        beam,
                        candidate,
                        served,
                        YoungRows.NONE,
                        false,
                        methods,
                        null);
                RankMetrics m = methods.get("decoder+prior")[0];
                double score = m.sumOfAll();
                out.printf(
                        Locale.ROOT,
                        "{\"tune\":\"validation\",\"prior\":%s,\"decoder+prior\":%s}%n",
                        candidate.json(),
                        m.json());
                if (score > bestScore) {
                    bestScore = score;
                    best = candidate;
                }
            }
        }
        return best;
    }

    /**
     * Replays {@code cases} in time order, in batches of at most {@link #BATCH} cases within {@link
     * #BATCH_SPAN_MILLIS} of the first: before each batch the prior and the recent windows take in
     * every event before the batch's earliest request time, so that no case sees a signal more than
     * an hour older than its request (a batch of 32 used to span 1.5 days on average).
     */
    private static void evaluate(
            Inputs in,
            List<EvalCase> unordered,
            LogitsFn decoder,
            int beam,
            PriorSettings settings,
            RetrievalConfig served,
            YoungRows young,
            boolean everything,
            Map<String, RankMetrics[]> methods,
            PrintStream progress) {
        List<EvalCase> cases = new ArrayList<>(unordered);
        cases.sort(Comparator.comparingLong(EvalCase::timeMillis));
        int levels = in.layout().levels();
        int maxHistory = in.bundle().manifest().decoder().maxHistoryItems();
        PopularityPrior prior =
                new PopularityPrior(
                        levels,
                        in.bundle().manifest().sid().codebookSize(),
                        settings.halfLife(),
                        settings.pseudoCount());
        BeamSearch plain = new BeamSearch(decoder, in.layout(), maxHistory);
        // What retrieval-server answers with, young items included (the "decoder+prior" row).
        BeamSearch servedSearch =
                RetrievalService.servedSearch(
                        decoder, in.layout(), maxHistory, served, prior, settings.weight());
        boolean youngServed = !served.youngItemWindow().isZero();
        BeamSearch slotted =
                plain.withFreshItems(
                        Duration.ofSeconds(
                                Long.parseLong(
                                        RetrievalSetting.FRESH_ITEM_WINDOW_S.defaultValue())),
                        FRESH_SLOTS_COMPARED);
        BeamSearch priorOnly =
                new BeamSearch(
                        new UniformLogits(in.bundle().manifest().sid().codebookSize()),
                        in.layout(),
                        maxHistory);
        RecentPopularity day = new RecentPopularity(in.eventItems(), in.eventTimes(), DAY);
        RecentPopularity week = new RecentPopularity(in.eventItems(), in.eventTimes(), 7 * DAY);
        ProgressBar bar =
                progress == null ? null : new ProgressBar(progress, "evaluate", cases.size());
        int fed = 0;
        for (List<EvalCase> chunk : timeChunks(cases)) {
            long now = chunk.get(0).timeMillis();
            while (fed < in.eventTimes().length && in.eventTimes()[fed] < now) {
                String item = in.eventItems().get(fed);
                prior.observe(item, in.sids().get(item), in.eventTimes()[fed]);
                fed++;
            }
            // The prior keeps its own (event) clock; fresh-item slots go by the request time.
            Clock at = Clock.fixed(Instant.ofEpochMilli(now), ZoneOffset.UTC);
            List<BeamRequest> requests = new ArrayList<>();
            for (EvalCase c : chunk) {
                List<String> history = c.history();
                List<int[]> codes =
                        history
                                .subList(Math.max(0, history.size() - maxHistory), history.size())
                                .stream()
                                .map(in.sids()::get)
                                .toList();
                requests.add(
                        new BeamRequest(
                                codes, beam, TOP, new HashSet<>(history), List.of(), List.of()));
            }
            record(
                    methods,
                    "decoder+prior",
                    chunk,
                    servedSearch.withClock(at).search(requests, in.trie()));
            if (everything) {
                if (youngServed) {
                    record(
                            methods,
                            "decoder+prior, no young items",
                            chunk,
                            plain.withPrior(prior, settings.weight()).search(requests, in.trie()));
                }
                for (double offset : young.offsets()) {
                    record(
                            methods,
                            String.format(Locale.ROOT, "decoder+prior, young items @%.1f", offset),
                            chunk,
                            plain.withPrior(prior, settings.weight())
                                    .withYoungItems(young.window(), offset, young.candidates())
                                    .search(requests, in.trie()));
                }
                record(
                        methods,
                        "decoder+prior, 10% fresh slots",
                        chunk,
                        slotted.withClock(at)
                                .withPrior(prior, settings.weight())
                                .search(requests, in.trie()));
                record(methods, "decoder", chunk, plain.search(requests, in.trie()));
                record(
                        methods,
                        "prior alone",
                        chunk,
                        priorOnly.withPrior(prior, 1.0).search(requests, in.trie()));
                day.advanceTo(now);
                week.advanceTo(now);
                List<String> dayRanking = day.ranking();
                List<String> weekRanking = week.ranking();
                for (EvalCase c : chunk) {
                    Set<String> seen = new HashSet<>(c.history());
                    rank(
                            methods,
                            "popularity (all time)",
                            c,
                            RecentPopularity.top(in.popularity(), List.of(), seen, TOP));
                    rank(
                            methods,
                            "popularity (1 day before)",
                            c,
                            RecentPopularity.top(dayRanking, in.popularity(), seen, TOP));
                    rank(
                            methods,
                            "popularity (7 days before)",
                            c,
                            RecentPopularity.top(weekRanking, in.popularity(), seen, TOP));
                    rank(
                            methods,
                            "item-kNN (last 3 items)",
                            c,
                            in.knn().rank(c.history(), in.popularity(), seen, TOP));
                }
            }
            if (bar != null) {
                bar.advance(chunk.size());
            }
        }
        if (bar != null) {
            bar.done();
        }
    }

    /** Time-ordered cases cut into batches of at most BATCH within BATCH_SPAN_MILLIS. */
    static List<List<EvalCase>> timeChunks(List<EvalCase> ordered) {
        List<List<EvalCase>> chunks = new ArrayList<>();
        List<EvalCase> current = new ArrayList<>();
        for (EvalCase c : ordered) {
            if (!current.isEmpty()
                    && (current.size() == BATCH
                            || c.timeMillis() - current.get(0).timeMillis() > BATCH_SPAN_MILLIS)) {
                chunks.add(current);
                current = new ArrayList<>();
            }
            current.add(c);
        }
        if (!current.isEmpty()) {
            chunks.add(current);
        }
        return chunks;
    }

    private static void record(
            Map<String, RankMetrics[]> methods,
            String name,
            List<EvalCase> chunk,
            List<BeamResult> results) {
        for (int i = 0; i < chunk.size(); i++) {
            rank(
                    methods,
                    name,
                    chunk.get(i),
                    results.get(i).candidates().stream()
                            .map(BeamResult.Candidate::itemId)
                            .toList());
        }
    }

    private static void rank(
            Map<String, RankMetrics[]> methods, String name, EvalCase c, List<String> ranked) {
        RankMetrics[] m =
                methods.computeIfAbsent(
                        name, n -> new RankMetrics[] {new RankMetrics(), new RankMetrics()});
        int rank = ranked.indexOf(c.target());
        m[0].add(rank);
        if (c.coldStart()) {
            m[1].add(rank);
        }
    }

    static Inputs load(Path bundleDir, Path data, int users) {
        ModelBundle bundle = ModelBundle.load(bundleDir);
        BundleManifest m = bundle.manifest();
        TokenLayout layout = DecoderLogits.layoutOf(m);
        Map<String, int[]> sids = new HashMap<>();
        bundle.trainerItemSids()
                .forEach(
                        (item, codes) ->
                                sids.put(
                                        item,
                                        codes.stream().mapToInt(Integer::intValue).toArray()));
        DemoOptions files = DemoOptions.parse(new String[] {"--data-dir", data.toString()});
        List<Interaction> events = new ArrayList<>();
        for (Interaction e : Datasets.readInteractions(files.interactionsFile())) {
            if (sids.containsKey(e.itemId())) {
                events.add(e);
            }
        }
        // Per user in file order, as the trainer reads them.
        Map<String, List<Interaction>> byUser = new LinkedHashMap<>();
        Map<String, Long> firstSeen = new HashMap<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Interaction e : events) {
            byUser.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e);
            firstSeen.merge(e.itemId(), e.timestampMillis(), Math::min);
            first = Math.min(first, e.timestampMillis());
            last = Math.max(last, e.timestampMillis());
        }
        long coldStartAfter = first + (long) ((1 - COLD_START_FRACTION) * (last - first));
        // An item counts as listed at its first interaction: what fresh-item slots go by.
        SidTrie trie = new SidTrie(layout.levels(), m.sid().codebookSize());
        sids.forEach((item, sid) -> trie.put(item, sid, firstSeen.getOrDefault(item, 0L)));
        Map<String, Integer> popularity = new HashMap<>();
        List<List<String>> training = new ArrayList<>();
        List<EvalCase> test = new ArrayList<>();
        List<EvalCase> validation = new ArrayList<>();
        for (Map.Entry<String, List<Interaction>> u : byUser.entrySet()) {
            List<String> seq = u.getValue().stream().map(Interaction::itemId).toList();
            boolean evaluated = seq.size() >= MIN_INTERACTIONS && test.size() < users;
            List<String> train =
                    seq.size() >= MIN_INTERACTIONS ? seq.subList(0, seq.size() - 2) : seq;
            training.add(train);
            train.forEach(i -> popularity.merge(i, 1, Integer::sum));
            if (evaluated) {
                int n = seq.size();
                test.add(
                        new EvalCase(
                                u.getKey(),
                                seq.subList(0, n - 1),
                                seq.get(n - 1),
                                u.getValue().get(n - 1).timestampMillis(),
                                firstSeen.get(seq.get(n - 1)) >= coldStartAfter));
                validation.add(
                        new EvalCase(
                                u.getKey(),
                                seq.subList(0, n - 2),
                                seq.get(n - 2),
                                u.getValue().get(n - 2).timestampMillis(),
                                firstSeen.get(seq.get(n - 2)) >= coldStartAfter));
            }
        }
        List<String> ranking =
                popularity.entrySet().stream()
                        .sorted(
                                Map.Entry.<String, Integer>comparingByValue(
                                                Comparator.reverseOrder())
                                        .thenComparing(Map.Entry.comparingByKey()))
                        .map(Map.Entry::getKey)
                        .toList();
        List<Interaction> byTime = new ArrayList<>(events);
        byTime.sort(Comparator.comparingLong(Interaction::timestampMillis));
        long[] times = byTime.stream().mapToLong(Interaction::timestampMillis).toArray();
        List<String> items = byTime.stream().map(Interaction::itemId).toList();
        return new Inputs(
                bundle,
                layout,
                trie,
                sids,
                items,
                times,
                test,
                validation,
                ranking,
                new ItemKnn(training, 10, 3),
                coldStartAfter);
    }

    private static String trainerFigures(BundleManifest m) {
        return m.metrics() == null || !m.metrics().has("test")
                ? "null"
                : m.metrics().get("test").toString();
    }
}
