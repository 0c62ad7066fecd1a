package io.sidstream.ingest;

import io.sidstream.ingest.topology.HistorySettings;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.ItemAssignmentSettings;
import io.sidstream.platform.kafka.WireFormatSelection;
import io.sidstream.platform.settings.SettingsReader;
import io.sidstream.schemas.v1.InteractionType;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The typed configuration of ingest-stream, read once at start-up from environment-style keys
 * ({@link IngestSetting}); every problem is reported at once.
 */
public record IngestConfig(
        String bootstrapServers,
        String applicationId,
        Path bundleDir,
        boolean retokenize,
        Path stateDir,
        String processingGuarantee,
        InputRouting inputRouting,
        int streamThreads,
        int standbyReplicas,
        int embedBatchSize,
        Duration embedMaxWait,
        int embedMaxBatchesPerPunctuation,
        int modelThreads,
        int maxTextChars,
        int httpPort,
        String httpBindAddress,
        String httpTokensFile,
        String advertisedHost,
        HistorySettings history,
        WireFormatSelection wireFormat,
        Map<String, String> kafkaOverrides) {

    /**
     * Producer settings ingest runs with unless an operator sets them (the README's configuration
     * table renders them): 256 KB batches, and under at_least_once a 5 ms linger.
     */
    public static Map<String, String> producerDefaults(String processingGuarantee) {
        Map<String, String> defaults = new TreeMap<>();
        defaults.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        if (StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
            defaults.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        }
        return defaults;
    }

    public IngestConfig {
        kafkaOverrides = Map.copyOf(kafkaOverrides);
    }

    /** Reads and validates every setting, reporting all problems in one exception. */
    public static IngestConfig fromEnv(Map<String, String> env) {
        SettingsReader r = new SettingsReader(env);
        String guarantee = r.string(IngestSetting.PROCESSING_GUARANTEE);
        if (!List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)
                .contains(guarantee)) {
            r.problem(
                    IngestSetting.PROCESSING_GUARANTEE.key()
                            + "="
                            + guarantee
                            + " is not exactly_once_v2 or at_least_once");
        }
        IngestConfig config =
                new IngestConfig(
                        r.string(IngestSetting.BOOTSTRAP_SERVERS),
                        r.string(IngestSetting.APPLICATION_ID),
                        Path.of(r.string(IngestSetting.BUNDLE_DIR)),
                        retokenize(r),
                        Path.of(r.string(IngestSetting.STATE_DIR)),
                        guarantee,
                        inputRouting(r),
                        r.integer(IngestSetting.STREAM_THREADS, 1, 64),
                        r.integer(IngestSetting.STANDBY_REPLICAS, 0, 8),
                        r.integer(IngestSetting.EMBED_BATCH_SIZE, 1, 4096),
                        Duration.ofMillis(r.integer(IngestSetting.EMBED_MAX_WAIT_MS, 1, 60_000)),
                        r.integer(IngestSetting.EMBED_MAX_BATCHES_PER_PUNCTUATION, 1, 1000),
                        r.integer(IngestSetting.MODEL_THREADS, 0, 256),
                        r.integer(IngestSetting.MAX_TEXT_CHARS, 1, 1_000_000),
                        r.integer(IngestSetting.HTTP_PORT, 0, 65535),
                        r.string(IngestSetting.HTTP_BIND_ADDRESS),
                        r.tokenFile(IngestSetting.HTTP_TOKENS_FILE),
                        r.string(IngestSetting.ADVERTISED_HOST),
                        historySettings(r),
                        WireFormatSelection.read(r),
                        r.kafkaOverrides());
        r.throwIfInvalid("ingest-stream");
        r.warnAboutUnknownKeys(
                "ingest-stream", WireFormatSelection.withAppSettings(IngestSetting.values()));
        return config;
    }

    private static boolean retokenize(SettingsReader r) {
        String mode = r.string(IngestSetting.MODE).trim().toLowerCase(Locale.ROOT);
        if (!mode.equals("serve") && !mode.equals("retokenize")) {
            r.problem(IngestSetting.MODE.key() + "=" + mode + " is not serve or retokenize");
            return false;
        }
        if (mode.equals("retokenize")
                && r.string(IngestSetting.APPLICATION_ID)
                        .equals(IngestSetting.APPLICATION_ID.defaultValue())) {
            // Sharing the serving instance's id would share its group, stores and internal topics.
            r.problem(
                    IngestSetting.MODE.key()
                            + "=retokenize needs its own "
                            + IngestSetting.APPLICATION_ID.key()
                            + " (e.g. sidstream-ingest-<sidSpace>)");
        }
        return mode.equals("retokenize");
    }

    private static InputRouting inputRouting(SettingsReader r) {
        String value = r.string(IngestSetting.INPUT_ROUTING);
        try {
            return InputRouting.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            r.problem(
                    IngestSetting.INPUT_ROUTING.key()
                            + "="
                            + value
                            + " is not REPARTITION, AS_PRODUCED or RELAY");
            return InputRouting.RELAY;
        }
    }

    private static HistorySettings historySettings(SettingsReader r) {
        Set<InteractionType> types = EnumSet.noneOf(InteractionType.class);
        for (String name : r.string(IngestSetting.HISTORY_EVENT_TYPES).split(",")) {
            try {
                types.add(InteractionType.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                r.problem(
                        IngestSetting.HISTORY_EVENT_TYPES.key()
                                + ": unknown type '"
                                + name.trim()
                                + "'");
            }
        }
        HistorySettings.RequestPolicy policy = HistorySettings.RequestPolicy.EVERY_INTERACTION;
        try {
            policy =
                    HistorySettings.RequestPolicy.valueOf(
                            r.string(IngestSetting.HISTORY_REQUEST_POLICY)
                                    .toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            r.problem(
                    IngestSetting.HISTORY_REQUEST_POLICY.key()
                            + " must be EVERY_INTERACTION, DEBOUNCED or NEVER");
        }
        return new HistorySettings(
                r.string(IngestSetting.APPLICATION_ID),
                r.integer(IngestSetting.HISTORY_LENGTH, 1, 10_000),
                Duration.ofMillis(
                        r.integer(IngestSetting.HISTORY_LATENESS_MS, 0, Integer.MAX_VALUE)),
                Duration.ofMillis(
                        r.integer(IngestSetting.HISTORY_MAX_FUTURE_MS, 0, Integer.MAX_VALUE)),
                Duration.ofMillis(
                        r.integer(IngestSetting.HISTORY_PENDING_TIMEOUT_MS, 1, Integer.MAX_VALUE)),
                Duration.ofSeconds(1),
                types,
                policy,
                r.integer(IngestSetting.HISTORY_REQUEST_CANDIDATES, 1, 100_000),
                Duration.ofMillis(
                        r.integer(
                                IngestSetting.HISTORY_REQUEST_DEBOUNCE_MS, 1, Integer.MAX_VALUE)));
    }

    /** Settings of the item topology. */
    public ItemAssignmentSettings itemSettings() {
        return new ItemAssignmentSettings(
                applicationId,
                embedBatchSize,
                embedMaxWait,
                embedMaxBatchesPerPunctuation,
                maxTextChars);
    }

    /** Kafka Streams properties: our settings, then pass-through overrides. */
    public Properties streamsProperties() {
        return streamsProperties(processingGuarantee);
    }

    /** The same under another guarantee, with that guarantee's producer defaults. */
    public Properties streamsProperties(String processingGuarantee) {
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        // Streams' own producer defaults (linger.ms 100, batch.size 16 KB) hold every record up
        // to 100 ms at each of the SID path's hops under at_least_once, and a 1.6 KB vector
        // item fills a batch every ten records. Exactly-once keeps the 100 ms: its records are
        // readable only at the commit anyway, and a short linger pipelines a new transaction's
        // first batches, which a transactions-v2 broker refuses (retriably, logging ERRORs) until
        // its first one lands. An operator's SIDSTREAM_KAFKA_* key, in either form, wins.
        producerDefaults(processingGuarantee)
                .forEach(
                        (key, value) -> {
                            if (!kafkaOverrides.containsKey(key)
                                    && !kafkaOverrides.containsKey(
                                            StreamsConfig.producerPrefix(key))) {
                                props.put(StreamsConfig.producerPrefix(key), value);
                            }
                        });
        props.putAll(kafkaOverrides);
        return props;
    }
}
