package io.sidstream.retrieval.beam;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Constrained beam search over the L semantic levels of SIDs, for a batch of requests at once:
 * histories are encoded once, then each level costs one model call for the beams of all requests.
 * At every level only codes that lead to a live item (per the {@link SidTrie}) and that steering
 * allows are considered, so no returned SID can be invalid. Final prefixes expand to their items in
 * collision order, sharing the prefix's score. Pure Java; thread-safe if the {@link LogitsFn} is.
 *
 * <p>Fresh-item slots ({@link #withFreshItems}) make newly listed items recommendable before the
 * model has learnt them, as TIGER does for cold-start items: a decoder trained before an item
 * existed rarely generates its full SID, but it does generate the item's neighbourhood. So up to a
 * share of the K places go to items listed within a window that share leading codes with a final
 * beam (as many as possible), ranked with that beam's score. While new items are more than a fifth
 * of the catalog (a first bulk load), none is treated as new.
 */
public final class BeamSearch implements BatchSearch {
    private final LogitsFn model;
    private final TokenLayout layout;
    private final int maxHistoryItems;
    private final long freshWindowMillis;
    private final double freshShare;
    private final Clock clock;
    private final PopularityPrior prior;
    private final double priorWeight;
    private final Young young;

    public BeamSearch(LogitsFn model, TokenLayout layout, int maxHistoryItems) {
        this(model, layout, maxHistoryItems, 0, 0, Clock.systemUTC(), null, 0, null);
    }

    /**
     * Items listed within {@code windowMillis} scored by the prior, with the decoder's part taken
     * as the request's best final beam's less {@code offset}: a decoder trained before they existed
     * cannot rank them. At most {@code candidates} of them, the most active first.
     */
    private record Young(long windowMillis, double offset, int candidates) {}

    private BeamSearch(
            LogitsFn model,
            TokenLayout layout,
            int maxHistoryItems,
            long freshWindowMillis,
            double freshShare,
            Clock clock,
            PopularityPrior prior,
            double priorWeight,
            Young young) {
        if (freshShare < 0 || freshShare > 1 || freshWindowMillis < 0) {
            throw new IllegalArgumentException("fresh share must be in [0, 1], window >= 0");
        }
        this.model = model;
        this.layout = layout;
        this.maxHistoryItems = maxHistoryItems;
        this.freshWindowMillis = freshWindowMillis;
        this.freshShare = freshShare;
        this.clock = clock;
        if (prior != null && (prior.levels() != layout.levels() || !(priorWeight >= 0))) {
            throw new IllegalArgumentException("prior must have the layout's levels, weight >= 0");
        }
        this.prior = priorWeight > 0 ? prior : null;
        this.priorWeight = priorWeight;
        this.young = young;
    }

    /**
     * This search with fresh-item slots: at most {@code max(1, share x K)} of a result's K places
     * (none when {@code share} is 0) go to items listed in the last {@code window}.
     */
    public BeamSearch withFreshItems(Duration window, double share) {
        return new BeamSearch(
                model,
                layout,
                maxHistoryItems,
                window.toMillis(),
                share,
                clock,
                prior,
                priorWeight,
                young);
    }

    /**
     * This search with a live popularity prior: every level's log-probability gets {@code weight x
     * log P(code | prefix)} added, and the items of a final prefix are ranked by {@code weight x
     * log P(item | prefix)} instead of collision order; weight 0 turns it off.
     */
    public BeamSearch withPrior(PopularityPrior prior, double weight) {
        return new BeamSearch(
                model,
                layout,
                maxHistoryItems,
                freshWindowMillis,
                freshShare,
                clock,
                prior,
                weight,
                young);
    }

    /**
     * This search with the same fresh-item slots and prior over another decoder (a decoder-only
     * update, or a candidate scored in shadow) that reads {@code maxHistoryItems} history items.
     *
     * @throws IllegalArgumentException when its tokens or codebook differ from this search's
     */
    public BeamSearch withModel(LogitsFn model, TokenLayout tokens, int maxHistoryItems) {
        if (!tokens.equals(layout) || model.codebookSize() != this.model.codebookSize()) {
            throw new IllegalArgumentException(
                    "the decoder's tokens ("
                            + tokens
                            + ", "
                            + model.codebookSize()
                            + " codes per level) differ from the served one's ("
                            + layout
                            + ", "
                            + this.model.codebookSize()
                            + ")");
        }
        return new BeamSearch(
                model,
                layout,
                maxHistoryItems,
                freshWindowMillis,
                freshShare,
                clock,
                prior,
                priorWeight,
                young);
    }

    /**
     * This search ranking items listed within {@code window} (of the prior's newest event time) by
     * the live prior among the results: each scores the request's best final beam's decoder
     * log-probability less {@code offset}, plus the prior's weighted log-probability of the item,
     * as if the decoder rated it {@code offset} below its favourite. The {@code candidates} most
     * active such items are considered; without a prior, or while new items are more than a fifth
     * of the catalog, none.
     */
    public BeamSearch withYoungItems(Duration window, double offset, int candidates) {
        return new BeamSearch(
                model,
                layout,
                maxHistoryItems,
                freshWindowMillis,
                freshShare,
                clock,
                prior,
                priorWeight,
                window.isZero() ? null : new Young(window.toMillis(), offset, candidates));
    }

    /** This search reading "now" (for the fresh-item window) from {@code clock}. */
    public BeamSearch withClock(Clock clock) {
        return new BeamSearch(
                model,
                layout,
                maxHistoryItems,
                freshWindowMillis,
                freshShare,
                clock,
                prior,
                priorWeight,
                young);
    }

    /** Searches all requests against one trie; results are in request order. */
    @Override
    public List<BeamResult> search(List<BeamRequest> requests, SidTrie trie) {
        long indexVersion = trie.version();
        int r = requests.size();
        int levels = layout.levels();
        int k = model.codebookSize();
        double unit = prior == null ? 0 : prior.unitNow();
        PopularityPrior.Row priorRow = prior == null ? null : prior.row();
        List<List<Beam>> beams = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            beams.add(List.of(new Beam(new int[0], 0.0, 0, 0.0)));
        }
        try (LogitsFn.Encoded encoded = model.encode(historyTokens(requests))) {
            boolean[] allowed = new boolean[k];
            for (int level = 0; level < levels; level++) {
                int width = 1;
                for (List<Beam> b : beams) {
                    width = Math.max(width, b.size());
                }
                int steps = level + 1;
                long[] tokens = new long[r * width * steps];
                int[] parents = new int[r * width];
                for (int i = 0; i < r; i++) {
                    for (int w = 0; w < width; w++) {
                        int base = (i * width + w) * steps;
                        tokens[base] = layout.bos();
                        List<Beam> rb = beams.get(i);
                        parents[i * width + w] = w < rb.size() ? rb.get(w).parent : 0;
                        for (int l = 0; l < level; l++) {
                            // Padding beams reuse a valid token; their rows are ignored.
                            int code = w < rb.size() ? rb.get(w).prefix[l] : 0;
                            tokens[base + 1 + l] = layout.levelToken(l, code);
                        }
                    }
                }
                float[] logProbs = encoded.step(tokens, parents, width, steps);
                List<List<Beam>> next = new ArrayList<>(r);
                for (int i = 0; i < r; i++) {
                    next.add(
                            expandLevel(
                                    requests.get(i),
                                    beams.get(i),
                                    level,
                                    logProbs,
                                    (i * width) * k,
                                    k,
                                    trie,
                                    allowed,
                                    unit,
                                    priorRow));
                }
                beams = next;
            }
        }
        return finish(requests, beams, trie, indexVersion, unit);
    }

    /**
     * Ranks final beams found outside this class (the one-graph search, {@code
     * decoder_search.onnx}) as {@link #search} ranks its own: each prefix's live items in collision
     * order with its score, this search's prior among them, its young items and its fresh-item
     * slots. {@code prefixes[i]} and {@code scores[i]} are request i's final beams, best first;
     * beams scored {@code -inf} (none found) are skipped.
     *
     * @param unit the prior's count unit the scores were computed at ({@link #priorUnitNow})
     */
    public List<BeamResult> rankFinals(
            List<BeamRequest> requests,
            int[][][] prefixes,
            double[][] scores,
            SidTrie trie,
            long version,
            double unit) {
        int levels = layout.levels();
        PopularityPrior.Row row = prior == null ? null : prior.row();
        List<List<Beam>> finals = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            List<Beam> beams = new ArrayList<>(prefixes[r].length);
            for (int i = 0; i < prefixes[r].length; i++) {
                double score = scores[r][i];
                if (score == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                // The graph returns the sum; young items need the decoder's share of it.
                double priorShare = 0;
                if (row != null && priorWeight != 0) {
                    for (int l = 0; l < levels; l++) {
                        priorShare += row.at(prefixes[r][i], l, unit).log(prefixes[r][i][l]);
                    }
                    priorShare *= priorWeight;
                }
                beams.add(new Beam(prefixes[r][i], score, 0, score - priorShare));
            }
            finals.add(beams);
        }
        return finish(requests, finals, trie, version, unit);
    }

    /** Final beams to results: items, prior, young items, fresh-item slots. */
    private List<BeamResult> finish(
            List<BeamRequest> requests,
            List<List<Beam>> beams,
            SidTrie trie,
            long indexVersion,
            double unit) {
        int r = requests.size();
        int levels = layout.levels();
        List<BeamResult> results = new ArrayList<>(r);
        // When much of the catalog is new (a first bulk load), nothing stands out as new.
        List<SidTrie.FreshItem> recent =
                freshShare > 0 && levels > 1
                        ? trie.listedBetween(
                                clock.millis() - freshWindowMillis, clock.millis(), trie.size() / 5)
                        : List.of();
        if (prior != null && recent.size() > 1) {
            // With a live prior the slots go to the new items people watch most, not the newest.
            recent = mostActiveFirst(recent);
        }
        List<ScoredYoung> youngItems = youngItems(trie, unit);
        for (int i = 0; i < r; i++) {
            BeamResult ranked =
                    prior == null
                            ? collect(requests.get(i), beams.get(i), trie, indexVersion)
                            : collectByPrior(
                                    requests.get(i), beams.get(i), trie, indexVersion, unit);
            if (!youngItems.isEmpty()) {
                ranked = withYoung(requests.get(i), beams.get(i), ranked, youngItems);
            }
            results.add(
                    recent.isEmpty()
                            ? ranked
                            : withFresh(requests.get(i), beams.get(i), ranked, recent));
        }
        return results;
    }

    /**
     * The prior's count unit now ({@link PopularityPrior#unitNow}), read once per search and handed
     * to {@link #priorNodeBias} and {@link #rankFinals}; 0 without a prior.
     */
    public double priorUnitNow() {
        return prior == null ? 0 : prior.unitNow();
    }

    /** Events the prior has fully counted (0 without one): equal counts, equal prior. */
    public long priorEvents() {
        return prior == null ? 0 : prior.events();
    }

    /**
     * The prior's contribution on entering every node of {@code trie} at the count {@code unit},
     * what {@link #search} adds per level ({@link CompactTrie#nodeBias}); zeros without a prior.
     */
    public float[] priorNodeBias(CompactTrie trie, double unit) {
        return trie.nodeBias(prior, priorWeight, unit);
    }

    private List<Beam> expandLevel(
            BeamRequest request,
            List<Beam> current,
            int level,
            float[] logProbs,
            int rowBase,
            int k,
            SidTrie trie,
            boolean[] allowed,
            double unit,
            PopularityPrior.Row priorRow) {
        PriorityQueue<Beam> best = new PriorityQueue<>(BeamSearch::worseFirst);
        int width = request.beamWidth();
        int[] candidate = new int[level + 1];
        int[] toward = request.steerWeight() > 0 ? request.steerToward() : null;
        for (int w = 0; w < current.size(); w++) {
            Beam beam = current.get(w);
            if (trie.allowedNext(beam.prefix, level, allowed) == 0) {
                continue;
            }
            // The steering bonus goes to the one code that keeps this beam on the target prefix.
            int steerCode =
                    toward != null && level < toward.length && onPrefix(beam.prefix, toward, level)
                            ? toward[level]
                            : -1;
            System.arraycopy(beam.prefix, 0, candidate, 0, level);
            int row = rowBase + w * k;
            if (priorRow != null) {
                priorRow.at(beam.prefix, level, unit);
            }
            for (int c = 0; c < k; c++) {
                if (!allowed[c]) {
                    continue;
                }
                double score =
                        beam.score
                                + logProbs[row + c]
                                + (priorRow == null ? 0 : priorWeight * priorRow.log(c))
                                + (c == steerCode ? request.steerWeight() : 0);
                if (best.size() == width && score <= best.peek().score) {
                    continue;
                }
                candidate[level] = c;
                if (!steeringAllows(request, candidate)) {
                    continue;
                }
                best.add(
                        new Beam(candidate.clone(), score, w, beam.modelScore + logProbs[row + c]));
                if (best.size() > width) {
                    best.poll();
                }
            }
        }
        List<Beam> out = new ArrayList<>(best);
        out.sort((a, b) -> worseFirst(b, a));
        return out;
    }

    private static boolean onPrefix(int[] prefix, int[] toward, int level) {
        for (int l = 0; l < level; l++) {
            if (prefix[l] != toward[l]) {
                return false;
            }
        }
        return true;
    }

    private BeamResult collect(BeamRequest request, List<Beam> finals, SidTrie trie, long version) {
        List<BeamResult.Candidate> out = new ArrayList<>();
        for (Beam beam : finals) {
            for (SidTrie.Item item : trie.itemsUnder(beam.prefix)) {
                if (out.size() == request.topK()) {
                    return new BeamResult(out, false, version);
                }
                if (request.excludeItems().contains(item.itemId())) {
                    continue;
                }
                List<Integer> sid = new ArrayList<>(beam.prefix.length + 1);
                for (int c : beam.prefix) {
                    sid.add(c);
                }
                sid.add(item.collision());
                out.add(new BeamResult.Candidate(item.itemId(), sid, beam.score));
            }
        }
        return new BeamResult(out, out.size() < request.topK(), version);
    }

    /**
     * Like {@link #collect}, but each item scores its final beam's score plus the prior's {@code
     * weight x log P(item | prefix)}, and the items of all final beams are ranked together.
     */
    private BeamResult collectByPrior(
            BeamRequest request, List<Beam> finals, SidTrie trie, long version, double unit) {
        List<BeamResult.Candidate> out = new ArrayList<>();
        for (Beam beam : finals) {
            List<SidTrie.Item> under = trie.itemsUnder(beam.prefix);
            for (SidTrie.Item item : under) {
                if (request.excludeItems().contains(item.itemId())) {
                    continue;
                }
                List<Integer> sid = new ArrayList<>(beam.prefix.length + 1);
                for (int c : beam.prefix) {
                    sid.add(c);
                }
                sid.add(item.collision());
                double score =
                        beam.score
                                + priorWeight
                                        * prior.logItem(
                                                item.itemId(), beam.prefix, under.size(), unit);
                out.add(new BeamResult.Candidate(item.itemId(), sid, score));
            }
        }
        out.sort((a, b) -> Double.compare(b.score(), a.score()));
        boolean exhausted = out.size() < request.topK();
        return new BeamResult(
                List.copyOf(out.subList(0, Math.min(out.size(), request.topK()))),
                exhausted,
                version);
    }

    /**
     * Puts newly listed items into the result in place of its lowest-ranked items: those sharing
     * the most leading codes with a final beam first (L-1, then fewer), best beam first, each with
     * that beam's score. Never an item already there, excluded or steered away.
     */
    private BeamResult withFresh(
            BeamRequest request,
            List<Beam> finals,
            BeamResult ranked,
            List<SidTrie.FreshItem> recent) {
        int slots = Math.max(1, (int) (freshShare * request.topK()));
        int levels = layout.levels();
        java.util.Set<String> taken = new java.util.HashSet<>(request.excludeItems());
        ranked.candidates().forEach(c -> taken.add(c.itemId()));
        List<BeamResult.Candidate> fresh = new ArrayList<>();
        for (int depth = levels - 1; depth >= 1 && fresh.size() < slots; depth--) {
            for (Beam beam : finals) {
                for (SidTrie.FreshItem item : recent) {
                    if (fresh.size() == slots) {
                        break;
                    }
                    int[] sid = item.sid();
                    if (!startsWith(sid, beam.prefix, depth)
                            || taken.contains(item.itemId())
                            || !steeringAllows(request, Arrays.copyOf(sid, levels))) {
                        continue;
                    }
                    taken.add(item.itemId());
                    fresh.add(new BeamResult.Candidate(item.itemId(), boxed(sid), beam.score));
                }
            }
        }
        if (fresh.isEmpty()) {
            return ranked;
        }
        List<BeamResult.Candidate> merged =
                new ArrayList<>(
                        ranked.candidates()
                                .subList(
                                        0,
                                        Math.min(
                                                ranked.candidates().size(),
                                                request.topK() - fresh.size())));
        merged.addAll(fresh);
        merged.sort((a, b) -> Double.compare(b.score(), a.score()));
        return new BeamResult(merged, merged.size() < request.topK(), ranked.indexVersion());
    }

    /** {@code items} by their decayed count in the prior, highest first. */
    private List<SidTrie.FreshItem> mostActiveFirst(List<SidTrie.FreshItem> items) {
        long now = prior.latestMillis();
        java.util.Map<String, Double> activity = new java.util.HashMap<>();
        items.forEach(f -> activity.put(f.itemId(), prior.count(f.itemId(), now)));
        List<SidTrie.FreshItem> sorted = new ArrayList<>(items);
        sorted.sort((a, b) -> Double.compare(activity.get(b.itemId()), activity.get(a.itemId())));
        return sorted;
    }

    private static List<Integer> boxed(int[] sid) {
        List<Integer> codes = new ArrayList<>(sid.length);
        for (int c : sid) {
            codes.add(c);
        }
        return codes;
    }

    /** A young item and the prior's weighted log-probability of it. */
    private record ScoredYoung(String itemId, int[] sid, double logPrior) {}

    private List<ScoredYoung> youngItems(SidTrie trie, double unit) {
        if (young == null || prior == null) {
            return List.of();
        }
        // The prior's (event-time) clock, so a replay of old events and the live stream agree.
        long now = prior.latestMillis();
        if (now == Long.MIN_VALUE) {
            return List.of();
        }
        List<SidTrie.FreshItem> listed =
                mostActiveFirst(
                        trie.listedBetween(now - young.windowMillis(), now, trie.size() / 5));
        PopularityPrior.Row row = prior.row();
        int levels = layout.levels();
        List<ScoredYoung> out = new ArrayList<>();
        for (SidTrie.FreshItem f : listed.subList(0, Math.min(listed.size(), young.candidates()))) {
            int[] prefix = Arrays.copyOf(f.sid(), levels);
            double log = 0;
            for (int l = 0; l < levels; l++) {
                log += row.at(prefix, l, unit).log(prefix[l]);
            }
            log += prior.logItem(f.itemId(), prefix, trie.itemsUnder(prefix).size(), unit);
            out.add(new ScoredYoung(f.itemId(), f.sid(), priorWeight * log));
        }
        return out;
    }

    private BeamResult withYoung(
            BeamRequest request, List<Beam> finals, BeamResult ranked, List<ScoredYoung> items) {
        if (finals.isEmpty()) {
            return ranked;
        }
        double best = Double.NEGATIVE_INFINITY;
        for (Beam beam : finals) {
            best = Math.max(best, beam.modelScore);
        }
        java.util.Map<String, BeamResult.Candidate> byItem = new java.util.LinkedHashMap<>();
        ranked.candidates().forEach(c -> byItem.put(c.itemId(), c));
        int levels = layout.levels();
        for (ScoredYoung y : items) {
            if (request.excludeItems().contains(y.itemId())
                    || !steeringAllows(request, Arrays.copyOf(y.sid(), levels))) {
                continue;
            }
            double score = best - young.offset() + y.logPrior();
            BeamResult.Candidate known = byItem.get(y.itemId());
            if (known == null || known.score() < score) {
                byItem.put(y.itemId(), new BeamResult.Candidate(y.itemId(), boxed(y.sid()), score));
            }
        }
        List<BeamResult.Candidate> merged = new ArrayList<>(byItem.values());
        merged.sort((a, b) -> Double.compare(b.score(), a.score()));
        List<BeamResult.Candidate> top =
                List.copyOf(merged.subList(0, Math.min(merged.size(), request.topK())));
        return new BeamResult(top, top.size() < request.topK(), ranked.indexVersion());
    }

    static boolean steeringAllows(BeamRequest request, int[] prefix) {
        for (int[] excluded : request.excludePrefixes()) {
            if (excluded.length <= prefix.length && startsWith(prefix, excluded, excluded.length)) {
                return false;
            }
        }
        if (request.includePrefixes().isEmpty()) {
            return true;
        }
        for (int[] included : request.includePrefixes()) {
            if (startsWith(prefix, included, Math.min(prefix.length, included.length))) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(int[] a, int[] b, int length) {
        return Arrays.equals(a, 0, length, b, 0, length);
    }

    /** Left-padded tokens of the last {@code maxHistoryItems} items of every request. */
    public long[][] historyTokens(List<BeamRequest> requests) {
        int perItem = layout.levels() + 1;
        int longest = 1;
        for (BeamRequest request : requests) {
            longest =
                    Math.max(
                            longest, Math.min(request.history().size(), maxHistoryItems) * perItem);
        }
        long[][] tokens = new long[requests.size()][longest];
        for (int i = 0; i < requests.size(); i++) {
            List<int[]> history = requests.get(i).history();
            List<int[]> kept =
                    history.subList(Math.max(0, history.size() - maxHistoryItems), history.size());
            Arrays.fill(tokens[i], layout.pad());
            int at = longest - kept.size() * perItem;
            for (int[] sid : kept) {
                long[] itemTokens = layout.itemTokens(sid);
                System.arraycopy(itemTokens, 0, tokens[i], at, perItem);
                at += perItem;
            }
        }
        return tokens;
    }

    /**
     * Lower score first; among equal scores the lexicographically larger prefix counts as worse.
     */
    private static int worseFirst(Beam a, Beam b) {
        int byScore = Double.compare(a.score, b.score);
        return byScore != 0 ? byScore : Arrays.compare(b.prefix, a.prefix);
    }

    /**
     * A partial SID, its score, which beam of the previous level it extends, and the decoder's
     * share of the score (young items are scored from the best final beam's).
     */
    private record Beam(int[] prefix, double score, int parent, double modelScore) {}
}
