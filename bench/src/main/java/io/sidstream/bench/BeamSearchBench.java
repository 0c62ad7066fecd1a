package io.sidstream.bench;

import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.beam.BeamRequest;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.onnx.OneGraphSearch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Constrained beam search over a bundle's ONNX decoder on the CPU, measured three ways in one run:
 *
 * <ul>
 *   <li>{@code search}: the whole search as the server runs it;
 *   <li>{@code forward}: only the decoder calls of the same shapes (encode once + L decode steps);
 *   <li>{@code searchOnRecordedLogits}: the same search fed the log-probabilities recorded from the
 *       model during set-up, so it times what the search adds: masking, top-k, bookkeeping.
 * </ul>
 *
 * {@code search / forward} is the overhead ratio and {@code searchOnRecordedLogits / search} the
 * share of masking and top-k; {@link #main} prints both as JSON lines. Histories are as long as the
 * bundle reads ({@code maxHistoryItems}). Run with {@code scripts/bench.sh beam-search}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx4g"})
public class BeamSearchBench {
    @Param({"16", "128", "256", "1024"})
    public int beam;

    @Param({"1", "32"})
    public int batch;

    /** Bundle directory; scripts/bench.sh derives the reference shape (d=256, 4 layers, 50). */
    @Param({"models/default"})
    public String bundle;

    /**
     * {@code true}: contract v2's beam-token cache when the bundle has it; {@code false}: v1's full
     * decode steps; {@code graph}: the whole search as one call of the bundle's {@code
     * decoder_search.onnx} ({@code forward} is then v2's).
     */
    @Param({"true", "false", "graph"})
    public String cache;

    private DecoderSession session;
    private OneGraphSearch graph;
    private BeamSearch search;
    private SidTrie trie;
    private List<BeamRequest> requests;
    private long[][] historyTokens;
    private long[][] stepTokens;
    private int[][] stepParents;
    private LogitsFn logits;
    private BeamSearch replay;
    private int levels;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        ModelBundle bundle = ModelBundle.load(Path.of(this.bundle));
        BundleManifest m = bundle.manifest();
        TokenLayout layout = DecoderLogits.layoutOf(m);
        levels = layout.levels();
        trie = new SidTrie(levels, m.sid().codebookSize());
        List<int[]> sids = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : bundle.trainerItemSids().entrySet()) {
            int[] sid = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            trie.put(e.getKey(), sid);
            sids.add(sid);
        }
        boolean oneGraph = cache.equals("graph");
        session =
                DecoderSession.open(
                        bundle, ExecutionProvider.AUTO, 0, oneGraph || Boolean.parseBoolean(cache));
        graph = oneGraph ? OneGraphSearch.open(bundle, ExecutionProvider.AUTO, 0, null, 0) : null;
        logits = new DecoderLogits(session);
        int history = m.decoder().maxHistoryItems();
        search = new BeamSearch(logits, layout, history);
        Random random = new Random(1);
        requests = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            List<int[]> h = new ArrayList<>();
            for (int i = 0; i < history; i++) {
                h.add(sids.get(random.nextInt(sids.size())));
            }
            requests.add(BeamRequest.of(h, beam, 100));
        }
        historyTokens = search.historyTokens(requests);
        RecordedLogits recorded = new RecordedLogits(logits);
        new BeamSearch(recorded, layout, history).search(requests, trie);
        replay = new BeamSearch(recorded.replay(), layout, history);
        stepTokens = new long[levels][];
        stepParents = new int[levels][];
        for (int s = 1; s <= levels; s++) {
            stepParents[s - 1] = new int[batch * widthAt(s)];
            for (int row = 0; row < stepParents[s - 1].length; row++) {
                stepParents[s - 1][row] = s <= 2 ? 0 : row % widthAt(s - 1);
            }
            long[] tokens = new long[batch * widthAt(s) * s];
            for (int i = 0; i < tokens.length; i += s) {
                tokens[i] = layout.bos();
                for (int l = 1; l < s; l++) {
                    tokens[i + l] = layout.levelToken(l - 1, (i / s) % m.sid().codebookSize());
                }
            }
            stepTokens[s - 1] = tokens;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        if (graph != null) {
            graph.close();
        }
    }

    /** The whole constrained search for the batch. */
    @Benchmark
    public Object search() {
        return graph != null ? graph.search(requests, trie) : search.search(requests, trie);
    }

    /** The search on recorded log-probabilities: its own cost without the model's. */
    @Benchmark
    public Object searchOnRecordedLogits() {
        return replay.search(requests, trie);
    }

    /** Beams alive at step s: one (the empty prefix) at the first level, the full width after. */
    private int widthAt(int s) {
        return s == 1 ? 1 : beam;
    }

    /** Only the model: encode once and L decode steps of the shapes the search uses. */
    @Benchmark
    public float forward() {
        float sink = 0;
        try (LogitsFn.Encoded encoded = logits.encode(historyTokens)) {
            for (int s = 1; s <= levels; s++) {
                sink += encoded.step(stepTokens[s - 1], stepParents[s - 1], widthAt(s), s)[0];
            }
        }
        return sink;
    }

    /**
     * Multiply-adds x 2 of one request: history tokens through every layer once, then per level the
     * beams' tokens (S <= L) through every layer, attending to the history.
     */
    public static double flopsPerRequest(BundleManifest m, int beam, boolean cache) {
        int d = m.decoder().dModel();
        int layers = m.decoder().layers();
        int t = m.decoder().maxHistoryItems() * m.tokens().tokensPerItem();
        double perTokenLayer =
                2.0 * (4.0 * d * d + 2.0 * d * 4 * d); // qkv+proj, 2-layer MLP (ff=4d)
        double history = t * layers * (perTokenLayer + 2.0 * 2 * t * d);
        double steps = 0;
        for (int s = 1; s <= m.sid().levels(); s++) {
            steps +=
                    beam * (cache ? 1 : s) * layers * (perTokenLayer + 2.0 * 2 * (t + s) * d)
                            + beam * 2.0 * d * m.sid().codebookSize();
        }
        return history + steps;
    }

    /**
     * This machine's matmul rate through ONNX Runtime, same threads as the decoder: {@code [256,
     * 256] x [256, 1024]}, the reference decoder's widest product at beam 256. Prints it as a JSON
     * line; NaN when the graph is missing.
     */
    static double matmulGflopPerS(Path graph) throws Exception {
        if (!java.nio.file.Files.exists(graph)) {
            return Double.NaN;
        }
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        int m = 256;
        float[] a = new float[m * 256];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 17) / 17f;
        }
        try (var options = new ai.onnxruntime.OrtSession.SessionOptions();
                var session = env.createSession(graph.toString(), options);
                var input =
                        ai.onnxruntime.OnnxTensor.createTensor(
                                env, java.nio.FloatBuffer.wrap(a), new long[] {m, 256})) {
            for (int i = 0; i < 50; i++) {
                session.run(Map.of("a", input)).close();
            }
            int calls = 400;
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                session.run(Map.of("a", input)).close();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double rate = 2.0 * m * 256 * 1024 * calls / seconds / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "{\"bench\":\"matmul\",\"shape\":\"256x256x1024\",\"gflop_per_s\":%.1f}%n",
                    rate);
            return rate;
        }
    }

    /** ONNX Runtime calls and bytes in and out of one search of a batch. */
    private record Traffic(long calls, long hostToDevice, long deviceToHost) {}

    private static Traffic traffic(Path bundleDir, int beam, int batch, String cache)
            throws Exception {
        BeamSearchBench bench = new BeamSearchBench();
        bench.bundle = bundleDir.toString();
        bench.beam = beam;
        bench.batch = batch;
        bench.cache = cache;
        bench.setUp();
        try {
            var t = bench.graph != null ? bench.graph.traffic() : bench.session.traffic();
            long calls = t.calls();
            long in = t.hostToDeviceBytes();
            long out = t.deviceToHostBytes();
            bench.search();
            return new Traffic(
                    t.calls() - calls, t.hostToDeviceBytes() - in, t.deviceToHostBytes() - out);
        } finally {
            bench.tearDown();
        }
    }

    /**
     * Runs JMH with the given options, then prints per shape the FLOPs of one request, the overhead
     * ratio {@code search / forward} and the share of {@code searchOnRecordedLogits} in {@code
     * search}, as JSON lines.
     */
    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new CommandLineOptions(args)).run();
        double matmul = matmulGflopPerS(Path.of("bench", "target", "matmul.onnx"));
        Map<String, Map<String, Double>> byShape = new TreeMap<>();
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String shape =
                    p.getParam("bundle")
                            + "|"
                            + p.getParam("beam")
                            + "|"
                            + p.getParam("batch")
                            + "|"
                            + p.getParam("cache");
            String method = p.getBenchmark().substring(p.getBenchmark().lastIndexOf('.') + 1);
            byShape.computeIfAbsent(shape, s -> new TreeMap<>())
                    .put(method, r.getPrimaryResult().getScore());
        }
        for (Map.Entry<String, Map<String, Double>> e : byShape.entrySet()) {
            String[] shape = e.getKey().split("\\|");
            BundleManifest m = ModelBundle.load(Path.of(shape[0])).manifest();
            int beam = Integer.parseInt(shape[1]);
            int batch = Integer.parseInt(shape[2]);
            boolean oneGraph = shape[3].equals("graph");
            boolean cached =
                    (oneGraph || Boolean.parseBoolean(shape[3])) && m.decoder().hasBeamCache();
            if (oneGraph && !m.decoder().hasSearchGraph()) {
                continue;
            }
            Traffic traffic =
                    traffic(Path.of(shape[0]), beam, batch, oneGraph ? "graph" : "" + cached);
            Map<String, Double> ms = e.getValue();
            double search = ms.getOrDefault("search", Double.NaN);
            double forward = ms.getOrDefault("forward", Double.NaN);
            double own = ms.getOrDefault("searchOnRecordedLogits", Double.NaN);
            System.out.printf(
                    Locale.ROOT,
                    "{\"bench\":\"beam-search\",\"bundle\":\"%s\",\"d_model\":%d,\"layers\":%d,"
                            + "\"history_items\":%d,\"beam\":%d,\"batch\":%s,\"search_ms\":%.3f,"
                            + "\"forward_ms\":%.3f,\"search_own_ms\":%.3f,\"overhead_ratio\":%.3f,"
                            + "\"mask_topk_share\":%s,\"gflop_per_request\":%.3f,"
                            + "\"beam_cache\":%s,\"one_graph\":%s,\"gflop_per_s\":%.1f,"
                            + "\"ort_calls_per_batch\":%d,"
                            + "\"host_to_device_bytes_per_batch\":%d,"
                            + "\"device_to_host_bytes_per_batch\":%d,"
                            + "\"share_of_matmul_rate\":%.3f,"
                            + "\"search_share_of_matmul_rate\":%.3f}%n",
                    m.bundleVersion(),
                    m.decoder().dModel(),
                    m.decoder().layers(),
                    m.decoder().maxHistoryItems(),
                    beam,
                    shape[2],
                    search,
                    forward,
                    own,
                    search / forward,
                    // The recorded-logits replay is the Java search's own work, not the graph's.
                    oneGraph ? "null" : String.format(Locale.ROOT, "%.4f", own / search),
                    flopsPerRequest(m, beam, cached) / 1e9,
                    cached,
                    oneGraph,
                    flopsPerRequest(m, beam, cached) * batch / (forward / 1e3) / 1e9,
                    traffic.calls,
                    traffic.hostToDevice,
                    traffic.deviceToHost,
                    flopsPerRequest(m, beam, cached) * batch / (forward / 1e3) / 1e9 / matmul,
                    // The whole search's rate: for the one graph, its decoder is inside the call.
                    flopsPerRequest(m, beam, cached) * batch / (search / 1e3) / 1e9 / matmul);
        }
    }
}
