package io.sidstream.retrieval;

import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.ServingSlot;
import io.sidstream.retrieval.batch.ShadowScorer;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.SearchTraffic;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.onnx.BeamSearchParity;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderParity;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.onnx.OneGraphSearch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Decoder-only updates of a running instance: a bundle of the served SID space (same RQ-VAE
 * encoder, codebooks and token layout, checked by the encoder's checksum) is loaded next to the
 * served one, checked against its own parity vectors, then either swapped in to answer from the
 * next batch on, or scored in shadow on a sample of live requests. The live index, the prior and
 * the request paths stay as they are, so nothing is re-tokenized and no request waits or fails.
 */
final class DecoderUpdates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DecoderUpdates.class);

    /** Why an update was refused: the running model is unchanged. */
    static final class RefusedException extends IllegalArgumentException {
        RefusedException(String message) {
            super(message);
        }
    }

    /** A swap done: the version that answers now, the one it replaced, how long loading took. */
    record Swapped(String serving, String replaced, double loadSeconds) {}

    private final ModelBundle served;
    private final ExecutionProvider provider;
    private final SearchGraph searchGraph;
    private final Duration graphInputRefresh;
    private final int modelThreads;
    private final BeamSearch baseSearch;
    private final Function<LogitsFn, LogitsFn> liveWrapper;
    private final MicroBatcher batcher;
    private final SidTrie trie;
    private final int maxBatch;
    private final RetrievalMetrics metrics;
    private long swaps;

    /**
     * @param served the bundle the instance started on: its SID space is the one served
     * @param baseSearch the served search (index rules, fresh items, prior) a new decoder goes in
     * @param liveWrapper what wraps a decoder that answers (call timing)
     */
    DecoderUpdates(
            ModelBundle served,
            ExecutionProvider provider,
            SearchGraph searchGraph,
            Duration graphInputRefresh,
            int modelThreads,
            BeamSearch baseSearch,
            Function<LogitsFn, LogitsFn> liveWrapper,
            MicroBatcher batcher,
            SidTrie trie,
            int maxBatch,
            RetrievalMetrics metrics) {
        this.served = served;
        this.provider = provider;
        this.searchGraph = searchGraph;
        this.graphInputRefresh = graphInputRefresh;
        this.modelThreads = modelThreads;
        this.baseSearch = baseSearch;
        this.liveWrapper = liveWrapper;
        this.batcher = batcher;
        this.trie = trie;
        this.maxBatch = maxBatch;
        this.metrics = metrics;
    }

    /** The version answering now. */
    String serving() {
        return batcher.slot().current().version();
    }

    long swaps() {
        return swaps;
    }

    /**
     * Loads, checks and swaps in the decoder of {@code dir}; batches already searching finish on
     * the old one, which closes after them.
     *
     * @throws RefusedException when the bundle is unusable or of another SID space
     */
    synchronized Swapped swap(Path dir) {
        long t0 = System.nanoTime();
        ServingSlot.Model next = load(dir, true);
        ServingSlot.Model previous = batcher.slot().swap(next);
        swaps++;
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.info(
                "decoder swapped serving={} replaced={} load_s={}",
                next.version(),
                previous.version(),
                String.format(java.util.Locale.ROOT, "%.1f", seconds));
        return new Swapped(next.version(), previous.version(), seconds);
    }

    /**
     * Starts scoring {@code samplePercent} of answered requests with the decoder of {@code dir},
     * replacing any candidate scored before.
     */
    synchronized ShadowScorer.Stats shadow(Path dir, double samplePercent) {
        if (!(samplePercent > 0 && samplePercent <= 100)) {
            throw new RefusedException("samplePercent must be in (0, 100], got " + samplePercent);
        }
        ServingSlot.Model candidate = load(dir, false);
        ShadowScorer scorer = new ShadowScorer(candidate, trie, samplePercent, maxBatch, metrics);
        ShadowScorer previous = batcher.shadow(scorer);
        if (previous != null) {
            previous.close();
        }
        LOG.info(
                "shadow scoring candidate={} sample_percent={}",
                candidate.version(),
                samplePercent);
        return scorer.stats();
    }

    /** Stops shadow scoring; the last candidate's figures, or null when none was scoring. */
    synchronized ShadowScorer.Stats stopShadow() {
        ShadowScorer previous = batcher.shadow(null);
        if (previous == null) {
            return null;
        }
        ShadowScorer.Stats last = previous.stats();
        previous.close();
        LOG.info("shadow scoring stopped candidate={} scored={}", last.candidate(), last.scored());
        return last;
    }

    /** The shadow candidate's figures so far, or null. */
    ShadowScorer.Stats shadowStats() {
        ShadowScorer scorer = batcher.shadow();
        return scorer == null ? null : scorer.stats();
    }

    private ServingSlot.Model load(Path dir, boolean live) {
        ModelBundle bundle;
        try {
            bundle = ModelBundle.load(dir);
        } catch (BundleException | IllegalArgumentException e) {
            throw new RefusedException("cannot load the bundle at " + dir + ": " + e.getMessage());
        }
        List<String> problems = sameSpaceProblems(served, bundle);
        if (!problems.isEmpty()) {
            throw new RefusedException(
                    "bundle "
                            + bundle.version()
                            + " is not a decoder-only update of the served SID space "
                            + served.sidSpace()
                            + ": "
                            + String.join("; ", problems)
                            + " (a new SID space needs its own index: a blue/green rollout)");
        }
        try {
            DecoderParity.Report parity = DecoderParity.check(bundle, ExecutionProvider.CPU);
            refuseUnless(parity.passed(), bundle, "decoder", parity.mismatches());
            BeamSearchParity.Report search =
                    BeamSearchParity.check(
                            bundle,
                            ExecutionProvider.CPU,
                            bundle.manifest().decoder().hasBeamCache());
            refuseUnless(search.passed(), bundle, "beam search", search.mismatches());
        } catch (RefusedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RefusedException(
                    "bundle " + bundle.version() + " cannot be checked: " + e.getMessage());
        }
        DecoderSession session;
        try {
            session = DecoderSession.open(bundle, provider, modelThreads);
        } catch (RuntimeException e) {
            throw new RefusedException(
                    "cannot open the decoder of bundle "
                            + bundle.version()
                            + ": "
                            + e.getMessage());
        }
        try {
            LogitsFn logits = new DecoderLogits(session);
            BeamSearch searchOf =
                    baseSearch.withModel(
                            live ? liveWrapper.apply(logits) : logits,
                            DecoderLogits.layoutOf(bundle.manifest()),
                            bundle.manifest().decoder().maxHistoryItems());
            boolean graph =
                    searchGraph.uses(
                            bundle.manifest().decoder().hasSearchGraph(),
                            session.executionProvider());
            if (graph) {
                // The bundle's version does not cover its search graph: check the one that answers.
                BeamSearchParity.Report parity =
                        BeamSearchParity.checkSearchGraph(bundle, ExecutionProvider.CPU);
                refuseUnless(parity.passed(), bundle, "search graph", parity.mismatches());
            }
            return model(
                    bundle,
                    session,
                    searchOf,
                    graph,
                    searchGraph == SearchGraph.ON,
                    graphInputRefresh,
                    modelThreads);
        } catch (RuntimeException e) {
            session.close();
            throw new RefusedException(e.getMessage());
        }
    }

    private static void refuseUnless(
            boolean passed, ModelBundle bundle, String check, Object mismatches) {
        if (!passed) {
            throw new RefusedException(
                    "bundle "
                            + bundle.version()
                            + " fails its "
                            + check
                            + " parity: "
                            + mismatches);
        }
    }

    /**
     * The served model of {@code bundle}: {@code search} over its decoder {@code session}, and when
     * {@code withGraph} the same search as one graph call, on the provider the decoder runs on;
     * closing it closes both sessions. A graph that does not open fails when {@code graphRequired},
     * else the model searches level by level and says why.
     */
    static ServingSlot.Model model(
            ModelBundle bundle,
            DecoderSession session,
            BeamSearch search,
            boolean withGraph,
            boolean graphRequired,
            Duration graphInputRefresh,
            int modelThreads) {
        if (!withGraph) {
            return new ServingSlot.Model(
                    bundle.version(), search, null, session.traffic(), session);
        }
        OneGraphSearch graph;
        try {
            graph =
                    OneGraphSearch.openLike(
                            bundle,
                            ExecutionProvider.parse(session.executionProvider()),
                            modelThreads,
                            search,
                            graphInputRefresh);
        } catch (RuntimeException e) {
            if (graphRequired) {
                throw e;
            }
            LOG.warn(
                    "search graph of bundle {} does not open, searching level by level: {}",
                    bundle.version(),
                    e.getMessage());
            return new ServingSlot.Model(
                    bundle.version(), search, null, session.traffic(), session);
        }
        return new ServingSlot.Model(
                bundle.version(),
                search,
                graph,
                SearchTraffic.sum(session.traffic(), graph.traffic()),
                () -> {
                    try (session) {
                        graph.close();
                    }
                });
    }

    /**
     * What keeps {@code update} from being served in {@code served}'s SID space; empty: nothing.
     */
    static List<String> sameSpaceProblems(ModelBundle served, ModelBundle update) {
        List<String> problems = new ArrayList<>();
        if (!served.sidSpace().equals(update.sidSpace())) {
            problems.add("its SID space is " + update.sidSpace());
        }
        BundleManifest a = served.manifest();
        BundleManifest b = update.manifest();
        if (!Objects.equals(fileSha(a, a.encoder().file()), fileSha(b, b.encoder().file()))) {
            problems.add("its RQ-VAE encoder differs (checksum)");
        }
        if (!a.sid().equals(b.sid())) {
            problems.add("its SID shape is " + b.sid() + ", served " + a.sid());
        }
        TokenLayout ta = DecoderLogits.layoutOf(a);
        TokenLayout tb = DecoderLogits.layoutOf(b);
        if (!ta.equals(tb)) {
            problems.add("its decoder tokens are " + tb + ", served " + ta);
        }
        return problems;
    }

    private static String fileSha(BundleManifest m, String file) {
        BundleManifest.FileEntry e = m.files().get(file);
        return e == null ? null : e.sha256();
    }

    @Override
    public synchronized void close() {
        stopShadow();
    }
}
