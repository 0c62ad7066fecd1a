package io.sidstream.ingest;

import io.sidstream.ingest.topology.ItemAssignmentSettings;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The typed configuration of ingest-stream, read once at start-up from environment-style keys
 * ({@link IngestSetting}); every problem is reported at once.
 */
public record IngestConfig(
        String bootstrapServers,
        String applicationId,
        Path bundleDir,
        Path stateDir,
        String processingGuarantee,
        int streamThreads,
        int standbyReplicas,
        int embedBatchSize,
        Duration embedMaxWait,
        int embedMaxBatchesPerPunctuation,
        int modelThreads,
        int maxTextChars,
        int httpPort,
        Map<String, String> kafkaOverrides) {

    static final String KAFKA_PREFIX = "SIDSTREAM_KAFKA_";

    public IngestConfig {
        kafkaOverrides = Map.copyOf(kafkaOverrides);
    }

    /** Reads and validates every setting, reporting all problems in one exception. */
    public static IngestConfig fromEnv(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Map<String, String> kafka = new TreeMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().startsWith(KAFKA_PREFIX)) {
                kafka.put(
                        e.getKey()
                                .substring(KAFKA_PREFIX.length())
                                .toLowerCase(Locale.ROOT)
                                .replace('_', '.'),
                        e.getValue());
            }
        }
        Reader r = new Reader(env, problems);
        String guarantee = r.string(IngestSetting.PROCESSING_GUARANTEE);
        if (!List.of(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE)
                .contains(guarantee)) {
            problems.add(
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
                        Path.of(r.string(IngestSetting.STATE_DIR)),
                        guarantee,
                        r.integer(IngestSetting.STREAM_THREADS, 1, 64),
                        r.integer(IngestSetting.STANDBY_REPLICAS, 0, 8),
                        r.integer(IngestSetting.EMBED_BATCH_SIZE, 1, 4096),
                        Duration.ofMillis(r.integer(IngestSetting.EMBED_MAX_WAIT_MS, 1, 60_000)),
                        r.integer(IngestSetting.EMBED_MAX_BATCHES_PER_PUNCTUATION, 1, 1000),
                        r.integer(IngestSetting.MODEL_THREADS, 0, 256),
                        r.integer(IngestSetting.MAX_TEXT_CHARS, 1, 1_000_000),
                        r.integer(IngestSetting.HTTP_PORT, 0, 65535),
                        kafka);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "invalid ingest-stream configuration:\n  - " + String.join("\n  - ", problems));
        }
        return config;
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
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        props.putAll(kafkaOverrides);
        return props;
    }

    private record Reader(Map<String, String> env, List<String> problems) {
        String string(IngestSetting s) {
            String v = env.getOrDefault(s.key(), s.defaultValue());
            if (v == null || v.isBlank()) {
                problems.add(s.key() + " is empty (" + s.doc() + ")");
                return s.defaultValue();
            }
            return v.trim();
        }

        int integer(IngestSetting s, int min, int max) {
            String v = string(s);
            try {
                int value = Integer.parseInt(v);
                if (value < min || value > max) {
                    problems.add(s.key() + "=" + v + " is outside [" + min + ", " + max + "]");
                }
                return value;
            } catch (NumberFormatException e) {
                problems.add(s.key() + "=" + v + " is not an integer");
                return Integer.parseInt(s.defaultValue());
            }
        }
    }
}
