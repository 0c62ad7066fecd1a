package io.sidstream.retrieval.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sidstream.model.bundle.BundleException;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.bundle.ModelException;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.model.onnx.OrtSessions;
import io.sidstream.retrieval.beam.BatchSearch;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamResult;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.CompactTrie;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The constrained beam search as one ONNX Runtime call per batch: {@code decoder_search.onnx}
 * (composed from a v2 bundle by {@code training/search_graph.py}) encodes the histories, runs every
 * level with its trie mask, the live prior's per-node bias, the top-k and the parent gather inside
 * the graph, and returns the final prefixes with their scores; {@link BeamSearch#rankFinals} then
 * expands them to items as the Java search does. What crosses into the call is the history tokens
 * and a {@link CompactTrie} ({@code K/8 + 12} bytes per inner prefix, 4 per full one); nothing but
 * the final beams comes back, where the level-by-level search moves the history and beam caches in
 * and out at every level.
 *
 * <p>The trie input and the prior's per-node bias are built from the live index and prior, at a
 * cost that grows with the catalog (tens of ms per build at a million items). With a refresh
 * interval they are rebuilt off the request path, at most once per interval, and a batch meanwhile
 * searches the previous ones: a change reaches the graph's masks and bias within about the
 * interval, while the items of the final prefixes are always read from the live index, so a result
 * never holds an item that is gone. Without one (zero) they are rebuilt on the request path for
 * every change, and the answer is exactly the Java search's.
 *
 * <p>Serves requests without prefix steering, one beam width per batch. Thread-safe.
 */
public final class OneGraphSearch implements BatchSearch, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OneGraphSearch.class);
    private static final Set<String> INPUTS =
            Set.of("history_tokens", "beam_width", "trie_bits", "trie_first_child", "node_bias");
    private static final Set<String> OUTPUTS = Set.of("prefixes", "scores");

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String provider;
    private final BeamSearch ranking;
    private final DecoderTraffic traffic = new DecoderTraffic();
    private final int levels;
    private final int codebookSize;
    private final long refreshNanos;
    private final LongSupplier nanoClock;
    private final ExecutorService refresher;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile GraphInputs inputs;

    /**
     * The graph's inputs built from one index (a version alone names no particular index) and the
     * prior after {@code priorEvents} events, at the count {@code unit}.
     */
    private record GraphInputs(
            SidTrie source,
            CompactTrie trie,
            long priorEvents,
            double unit,
            float[] bias,
            long builtAtNanos) {}

    private OneGraphSearch(
            OrtSession session,
            String provider,
            BeamSearch ranking,
            int levels,
            int codebookSize,
            Duration refresh,
            LongSupplier nanoClock,
            ExecutorService refresher) {
        this.session = session;
        this.provider = provider;
        this.ranking = ranking;
        this.levels = levels;
        this.codebookSize = codebookSize;
        this.refreshNanos = refresh.toNanos();
        this.nanoClock = nanoClock;
        this.refresher = refresher;
    }

    /**
     * Opens the bundle's search graph, folding {@code prior} (or none, when null) into the scores
     * at {@code priorWeight} as {@link BeamSearch#withPrior} does.
     *
     * @throws BundleException when the bundle has no search graph or it breaks the contract
     */
    public static OneGraphSearch open(
            ModelBundle bundle,
            ExecutionProvider provider,
            int intraOpThreads,
            PopularityPrior prior,
            double priorWeight) {
        BundleManifest.Decoder spec = bundle.manifest().decoder();
        BeamSearch ranking =
                new BeamSearch(
                                new NoDecoder(spec.codebookSize()),
                                DecoderLogits.layoutOf(bundle.manifest()),
                                spec.maxHistoryItems())
                        .withPrior(prior, prior == null ? 0 : priorWeight);
        return open(bundle, provider, intraOpThreads, ranking, Duration.ZERO, null, null);
    }

    /**
     * Opens the bundle's search graph to answer as {@code served} does (its prior, young items and
     * fresh-item slots), {@code served}'s decoder being this bundle's; its trie input and prior
     * bias are rebuilt at most once per {@code refresh}, on a thread of its own (zero: on the
     * request path, for every change).
     *
     * @throws BundleException when the bundle has no search graph or it breaks the contract
     */
    public static OneGraphSearch openLike(
            ModelBundle bundle,
            ExecutionProvider provider,
            int intraOpThreads,
            BeamSearch served,
            Duration refresh) {
        return openLike(bundle, provider, intraOpThreads, served, refresh, System::nanoTime, null);
    }

    /**
     * {@link #openLike}, reading time from {@code nanoClock} and refreshing on {@code refresher}.
     */
    static OneGraphSearch openLike(
            ModelBundle bundle,
            ExecutionProvider provider,
            int intraOpThreads,
            BeamSearch served,
            Duration refresh,
            LongSupplier nanoClock,
            ExecutorService refresher) {
        BundleManifest.Decoder spec = bundle.manifest().decoder();
        return open(
                bundle,
                provider,
                intraOpThreads,
                served.withModel(
                        new NoDecoder(spec.codebookSize()),
                        DecoderLogits.layoutOf(bundle.manifest()),
                        spec.maxHistoryItems()),
                refresh,
                nanoClock,
                refresher);
    }

    private static OneGraphSearch open(
            ModelBundle bundle,
            ExecutionProvider provider,
            int intraOpThreads,
            BeamSearch ranking,
            Duration refresh,
            LongSupplier nanoClock,
            ExecutorService refresher) {
        if (refresh.isNegative()) {
            throw new IllegalArgumentException("refresh interval must be >= 0");
        }
        BundleManifest.Decoder spec = bundle.manifest().decoder();
        if (!spec.hasSearchGraph()) {
            throw new BundleException(
                    bundle.directory(),
                    List.of("no decoder.searchFile: add one with training/search_graph.py"));
        }
        OrtSessions.Opened opened =
                OrtSessions.DEFAULT.open(bundle.file(spec.searchFile()), provider, intraOpThreads);
        List<String> problems = new ArrayList<>();
        DecoderSession.expectNames(spec.searchFile(), opened.session(), INPUTS, OUTPUTS, problems);
        if (!problems.isEmpty()) {
            DecoderSession.closeQuietly(opened.session());
            throw new BundleException(bundle.directory(), problems);
        }
        ExecutorService thread = refresher;
        if (thread == null && !refresh.isZero()) {
            thread =
                    Executors.newSingleThreadExecutor(
                            r -> {
                                Thread t = new Thread(r, "graph-input-refresh");
                                t.setDaemon(true);
                                return t;
                            });
        }
        return new OneGraphSearch(
                opened.session(),
                opened.provider(),
                ranking,
                spec.levels(),
                spec.codebookSize(),
                refresh,
                nanoClock == null ? System::nanoTime : nanoClock,
                thread);
    }

    /** {@code "cuda"} or {@code "cpu"}. */
    public String executionProvider() {
        return provider;
    }

    /** Calls and the bytes they moved, since this search opened. */
    public DecoderTraffic traffic() {
        return traffic;
    }

    /**
     * The graph's inputs for {@code trie}: built now for an index not seen before; when the index
     * or the prior changed since the last build, rebuilt now without a refresh interval, else
     * rebuilt on the refresh thread once the last build is an interval old (this batch searches the
     * last build).
     */
    private GraphInputs inputsFor(SidTrie trie) {
        if (trie.levels() != levels || trie.codebookSize() != codebookSize) {
            throw new IllegalArgumentException(
                    "the index has "
                            + trie.levels()
                            + " levels of "
                            + trie.codebookSize()
                            + " codes, the search graph "
                            + levels
                            + " of "
                            + codebookSize);
        }
        GraphInputs current = inputs;
        if (current == null || current.source() != trie) {
            return build(trie, null);
        }
        if (current.trie().version() == trie.version()
                && current.priorEvents() == ranking.priorEvents()) {
            return current;
        }
        if (refresher == null) {
            return build(trie, current);
        }
        if (nanoClock.getAsLong() - current.builtAtNanos() >= refreshNanos
                && refreshing.compareAndSet(false, true)) {
            try {
                refresher.execute(() -> refresh(trie, current));
            } catch (RejectedExecutionException closed) {
                refreshing.set(false);
            }
        }
        GraphInputs latest = inputs;
        return latest.source() == trie ? latest : current;
    }

    private void refresh(SidTrie trie, GraphInputs previous) {
        try {
            build(trie, previous);
        } catch (RuntimeException e) {
            // The batches keep the last inputs; the next one due retries.
            LOG.warn("search graph inputs not rebuilt, the previous ones serve: {}", e.toString());
        } finally {
            refreshing.set(false);
        }
    }

    private GraphInputs build(SidTrie trie, GraphInputs previous) {
        // Read before building: a change during the build shows as a change next time.
        long events = ranking.priorEvents();
        CompactTrie compact =
                previous != null
                                && previous.source() == trie
                                && previous.trie().version() == trie.version()
                        ? previous.trie()
                        : CompactTrie.of(trie);
        double unit = ranking.priorUnitNow();
        GraphInputs built =
                new GraphInputs(
                        trie,
                        compact,
                        events,
                        unit,
                        ranking.priorNodeBias(compact, unit),
                        nanoClock.getAsLong());
        inputs = built;
        return built;
    }

    /** Prefix steering is not in the graph. */
    @Override
    public boolean serves(BeamRequest request) {
        return request.includePrefixes().isEmpty()
                && request.excludePrefixes().isEmpty()
                && request.steerWeight() <= 0;
    }

    /** Searches all requests in one call; results in request order. */
    @Override
    public List<BeamResult> search(List<BeamRequest> requests, SidTrie trie) {
        if (requests.isEmpty()) {
            return List.of();
        }
        int width = requests.get(0).beamWidth();
        for (BeamRequest request : requests) {
            if (request.beamWidth() != width || !serves(request)) {
                throw new IllegalArgumentException(
                        "the one-graph search serves unsteered requests of one beam width");
            }
        }
        GraphInputs graphInputs = inputsFor(trie);
        CompactTrie index = graphInputs.trie();
        // The per-item term at the unit of the per-level bias, as the Java search reads one unit.
        double unit = graphInputs.unit();
        long[][] history = ranking.historyTokens(requests);
        int r = history.length;
        int length = history[0].length;
        LongBuffer flat = DecoderSession.flatten(history);
        int nodes = index.nodes();
        int inner = index.innerNodes();
        int bytesPerNode = index.bytesPerNode();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(
                    "history_tokens", OnnxTensor.createTensor(env, flat, new long[] {r, length}));
            inputs.put(
                    "beam_width",
                    OnnxTensor.createTensor(
                            env, LongBuffer.wrap(new long[] {width}), new long[] {1}));
            inputs.put(
                    "trie_bits",
                    OnnxTensor.createTensor(
                            env,
                            ByteBuffer.wrap(index.bits()),
                            new long[] {inner, bytesPerNode},
                            OnnxJavaType.UINT8));
            inputs.put(
                    "trie_first_child",
                    OnnxTensor.createTensor(
                            env, LongBuffer.wrap(index.firstChild()), new long[] {inner}));
            inputs.put(
                    "node_bias",
                    OnnxTensor.createTensor(
                            env, FloatBuffer.wrap(graphInputs.bias()), new long[] {nodes}));
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor prefixTensor = (OnnxTensor) result.get("prefixes").orElseThrow();
                OnnxTensor scoreTensor = (OnnxTensor) result.get("scores").orElseThrow();
                long[] shape = prefixTensor.getInfo().getShape();
                int beams = (int) shape[1];
                int levels = (int) shape[2];
                LongBuffer prefixes = prefixTensor.getLongBuffer();
                FloatBuffer scores = scoreTensor.getFloatBuffer();
                long in = 0;
                for (OnnxTensor t : inputs.values()) {
                    in += DecoderSession.bytes(t);
                }
                traffic.call(
                        in, DecoderSession.bytes(prefixTensor) + DecoderSession.bytes(scoreTensor));
                int[][][] finals = new int[r][beams][levels];
                double[][] finalScores = new double[r][beams];
                for (int i = 0; i < r; i++) {
                    for (int w = 0; w < beams; w++) {
                        for (int l = 0; l < levels; l++) {
                            finals[i][w][l] = (int) prefixes.get((i * beams + w) * levels + l);
                        }
                        finalScores[i][w] = scores.get(i * beams + w);
                    }
                }
                return ranking.rankFinals(
                        requests, finals, finalScores, trie, index.version(), unit);
            }
        } catch (OrtException e) {
            throw new ModelException("decoder_search failed for " + r + " requests", e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        DecoderSession.closeQuietly(session);
    }

    /** The ranking half of a {@link BeamSearch} needs no decoder: the graph is the decoder. */
    private record NoDecoder(int codebookSize) implements LogitsFn {
        @Override
        public Encoded encode(long[][] historyTokens) {
            throw new UnsupportedOperationException("the search graph runs the decoder");
        }
    }
}
