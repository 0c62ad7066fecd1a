package io.sidstream.retrieval;

import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.platform.kafka.WireFormatSelection;
import io.sidstream.platform.settings.SettingsReader;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/** The typed configuration of retrieval-server; every problem is reported at once. */
public record RetrievalConfig(
        String bootstrapServers,
        String applicationId,
        Path bundleDir,
        boolean ownSpace,
        int maxUncoveredItems,
        ExecutionProvider executionProvider,
        SearchGraph searchGraph,
        Duration graphInputRefresh,
        int modelThreads,
        int maxBatch,
        Duration maxWait,
        Duration maxQueueWait,
        PriorSettings prior,
        boolean priorSetByOperator,
        int defaultBeam,
        int maxBeam,
        int maxK,
        int freshItemPercent,
        Duration freshItemWindow,
        Duration youngItemWindow,
        double youngItemOffset,
        int youngItemCandidates,
        int httpPort,
        int httpWorkers,
        int httpQueue,
        String httpBindAddress,
        String httpTokensFile,
        String adminTokensFile,
        String shadowBundleDir,
        double shadowSamplePercent,
        String ingestUrl,
        String ingestTokenFile,
        int maxBodyBytes,
        Duration requestDeadline,
        boolean textQueries,
        WireFormatSelection wireFormat,
        Map<String, String> kafkaOverrides) {

    public RetrievalConfig {
        kafkaOverrides = Map.copyOf(kafkaOverrides);
    }

    public static RetrievalConfig fromEnv(Map<String, String> env) {
        SettingsReader r = new SettingsReader(env);
        ExecutionProvider provider = ExecutionProvider.AUTO;
        try {
            provider = ExecutionProvider.parse(r.string(RetrievalSetting.EXECUTION_PROVIDER));
        } catch (IllegalArgumentException e) {
            r.problem(RetrievalSetting.EXECUTION_PROVIDER.key() + ": " + e.getMessage());
        }
        SearchGraph searchGraph = SearchGraph.AUTO;
        try {
            searchGraph = SearchGraph.parse(r.string(RetrievalSetting.SEARCH_GRAPH));
        } catch (IllegalArgumentException e) {
            r.problem(RetrievalSetting.SEARCH_GRAPH.key() + ": " + e.getMessage());
        }
        int defaultBeam = r.integer(RetrievalSetting.DEFAULT_BEAM, 1, 65_536);
        int maxBeam = r.integer(RetrievalSetting.MAX_BEAM, 1, 65_536);
        if (defaultBeam > maxBeam) {
            r.problem(
                    "SIDSTREAM_DEFAULT_BEAM="
                            + defaultBeam
                            + " exceeds SIDSTREAM_MAX_BEAM="
                            + maxBeam);
        }
        RetrievalConfig config =
                new RetrievalConfig(
                        r.string(RetrievalSetting.BOOTSTRAP_SERVERS),
                        r.string(RetrievalSetting.APPLICATION_ID),
                        Path.of(r.string(RetrievalSetting.BUNDLE_DIR)),
                        ownSpace(r),
                        r.integer(RetrievalSetting.MAX_UNCOVERED_ITEMS, 0, 100_000_000),
                        provider,
                        searchGraph,
                        Duration.ofMillis(
                                r.integer(RetrievalSetting.GRAPH_INPUT_REFRESH_MS, 0, 3_600_000)),
                        r.integer(RetrievalSetting.MODEL_THREADS, 0, 256),
                        r.integer(RetrievalSetting.MAX_BATCH, 1, 4096),
                        Duration.ofMillis(r.integer(RetrievalSetting.MAX_WAIT_MS, 0, 10_000)),
                        Duration.ofMillis(
                                r.integer(RetrievalSetting.MAX_QUEUE_WAIT_MS, 0, 600_000)),
                        new PriorSettings(
                                r.decimal(RetrievalSetting.PRIOR_WEIGHT, 0, 100),
                                Duration.ofHours(
                                        r.integer(
                                                RetrievalSetting.PRIOR_HALF_LIFE_HOURS,
                                                1,
                                                24 * 365)),
                                r.decimal(RetrievalSetting.PRIOR_PSEUDO_COUNT, 1e-6, 1e6)),
                        r.isSet(RetrievalSetting.PRIOR_WEIGHT)
                                || r.isSet(RetrievalSetting.PRIOR_HALF_LIFE_HOURS)
                                || r.isSet(RetrievalSetting.PRIOR_PSEUDO_COUNT),
                        defaultBeam,
                        maxBeam,
                        r.integer(RetrievalSetting.MAX_K, 1, 100_000),
                        r.integer(RetrievalSetting.FRESH_ITEM_PERCENT, 0, 100),
                        Duration.ofSeconds(
                                r.integer(RetrievalSetting.FRESH_ITEM_WINDOW_S, 0, 365 * 86_400)),
                        Duration.ofHours(
                                r.integer(RetrievalSetting.YOUNG_ITEM_WINDOW_HOURS, 0, 24 * 365)),
                        r.decimal(RetrievalSetting.YOUNG_ITEM_OFFSET, 0, 1_000),
                        r.integer(RetrievalSetting.YOUNG_ITEM_CANDIDATES, 1, 100_000),
                        r.integer(RetrievalSetting.HTTP_PORT, 0, 65_535),
                        r.integer(RetrievalSetting.HTTP_WORKERS, 1, 1024),
                        r.integer(RetrievalSetting.HTTP_QUEUE, 0, 100_000),
                        r.string(RetrievalSetting.HTTP_BIND_ADDRESS),
                        r.tokenFile(RetrievalSetting.HTTP_TOKENS_FILE),
                        r.tokenFile(RetrievalSetting.ADMIN_TOKENS_FILE),
                        r.string(RetrievalSetting.SHADOW_BUNDLE_DIR),
                        r.decimal(RetrievalSetting.SHADOW_SAMPLE_PERCENT, 0.001, 100),
                        r.string(RetrievalSetting.INGEST_URL),
                        r.tokenFile(RetrievalSetting.INGEST_TOKEN_FILE),
                        r.integer(RetrievalSetting.MAX_BODY_BYTES, 1024, 64 << 20),
                        Duration.ofMillis(
                                r.integer(RetrievalSetting.REQUEST_DEADLINE_MS, 1, 600_000)),
                        bool(r, RetrievalSetting.TEXT_QUERIES),
                        WireFormatSelection.read(r),
                        r.kafkaOverrides());
        r.throwIfInvalid("retrieval-server");
        r.warnAboutUnknownKeys(
                "retrieval-server", WireFormatSelection.withAppSettings(RetrievalSetting.values()));
        return config;
    }

    /**
     * The prior this instance serves with: the bundle's own settings (chosen for its decoder on the
     * validation split) unless the operator set any {@code SIDSTREAM_PRIOR_*} key, or the bundle
     * records none; then these settings.
     */
    public PriorSettings priorFor(BundleManifest.Prior bundlePrior) {
        return bundlePrior == null || priorSetByOperator ? prior : PriorSettings.of(bundlePrior);
    }

    private static boolean ownSpace(SettingsReader r) {
        String v = r.string(RetrievalSetting.INDEX_SOURCE).trim();
        if (!v.equals("shared") && !v.equals("own-space")) {
            r.problem(
                    RetrievalSetting.INDEX_SOURCE.key() + "=" + v + " is not shared or own-space");
        }
        return v.equals("own-space");
    }

    private static boolean bool(SettingsReader r, RetrievalSetting s) {
        String v = r.string(s).toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            r.problem(s.key() + "=" + v + " is not true or false");
        }
        return v.equals("true");
    }

    /** Kafka client properties: bootstrap servers, then pass-through overrides. */
    public Properties kafkaProperties() {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrapServers);
        props.putAll(kafkaOverrides);
        return props;
    }
}
