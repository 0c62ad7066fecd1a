package io.sidstream.ingest;

import io.sidstream.platform.settings.Setting;

/**
 * Every configuration key of ingest-stream, declared once with its default and doc. Keys are
 * environment variables (or properties-file keys of the same name). Kafka client and Streams
 * settings pass through as {@code SIDSTREAM_KAFKA_<NAME>}, e.g. {@code
 * SIDSTREAM_KAFKA_SECURITY_PROTOCOL=SASL_SSL} becomes {@code security.protocol}.
 */
public enum IngestSetting implements Setting {
    BOOTSTRAP_SERVERS("SIDSTREAM_BOOTSTRAP_SERVERS", "localhost:9092", "Kafka bootstrap servers."),
    APPLICATION_ID(
            "SIDSTREAM_INGEST_APPLICATION_ID",
            "sidstream-ingest",
            "Kafka Streams application id; names consumer group, internal topics and state."),
    BUNDLE_DIR("SIDSTREAM_BUNDLE_DIR", "models/default", "Model bundle directory."),
    MODE(
            "SIDSTREAM_INGEST_MODE",
            "serve",
            "serve: assign SIDs to items.raw.v1 on items.sid.v1, keep the catalog and user histories;"
                    + " retokenize: give every item of items.catalog.v1 (and every later change) a"
                    + " SID of this bundle's own SID space on items.sid.v1.<sidSpace>, for a"
                    + " blue/green rollout of a new RQ-VAE (needs its own application id)."),
    STATE_DIR(
            "SIDSTREAM_STATE_DIR",
            "state/ingest",
            "RocksDB state directory; keep it on a persistent volume."),
    PROCESSING_GUARANTEE(
            "SIDSTREAM_PROCESSING_GUARANTEE",
            "exactly_once_v2",
            "exactly_once_v2 or at_least_once."),
    INPUT_ROUTING(
            "SIDSTREAM_INGEST_INPUT_ROUTING",
            "RELAY",
            "REPARTITION re-keys items and interactions internally, so any producer partitioner is"
                    + " correct; AS_PRODUCED trusts producers to use Java's murmur2 (one hop less);"
                    + " RELAY re-keys in a separate at-least-once app whose replays the owners drop"
                    + " by source offset (one commit interval less under exactly_once_v2)."),
    STREAM_THREADS("SIDSTREAM_STREAM_THREADS", "1", "Stream threads per instance."),
    STANDBY_REPLICAS("SIDSTREAM_STANDBY_REPLICAS", "0", "Warm standby copies of each state store."),
    EMBED_BATCH_SIZE("SIDSTREAM_EMBED_BATCH_SIZE", "32", "Items per embedding model call."),
    EMBED_MAX_WAIT_MS(
            "SIDSTREAM_EMBED_MAX_WAIT_MS",
            "20",
            "Longest an accepted item waits for its embedding batch to fill (ms)."),
    EMBED_MAX_BATCHES_PER_PUNCTUATION(
            "SIDSTREAM_EMBED_MAX_BATCHES_PER_PUNCTUATION",
            "8",
            "Model calls per punctuation at most, so backlogs never starve polling."),
    MODEL_THREADS(
            "SIDSTREAM_MODEL_THREADS", "0", "ONNX Runtime intra-op threads (0 = one per core)."),
    MAX_TEXT_CHARS(
            "SIDSTREAM_MAX_TEXT_CHARS",
            "10000",
            "Items with longer text go to the dead-letter topic (the encoder reads 128 tokens)."),
    HISTORY_LENGTH(
            "SIDSTREAM_HISTORY_LENGTH",
            "50",
            "Interactions kept per user (N), newest by event time."),
    HISTORY_LATENESS_MS(
            "SIDSTREAM_HISTORY_LATENESS_MS",
            "86400000",
            "How far behind a user's newest event an event may be and still be inserted (ms)."),
    HISTORY_MAX_FUTURE_MS(
            "SIDSTREAM_HISTORY_MAX_FUTURE_MS",
            "300000",
            "Events further ahead of the clock go to the DLQ (ms)."),
    HISTORY_PENDING_TIMEOUT_MS(
            "SIDSTREAM_HISTORY_PENDING_TIMEOUT_MS",
            "600000",
            "How long an interaction waits for its item's SID before the DLQ (ms)."),
    HISTORY_EVENT_TYPES(
            "SIDSTREAM_HISTORY_EVENT_TYPES",
            "CLICK,ADD_TO_CART,PURCHASE,RATING,LIKE,SHARE",
            "Interaction types that enter histories (comma-separated)."),
    HISTORY_REQUEST_POLICY(
            "SIDSTREAM_HISTORY_REQUEST_POLICY",
            "EVERY_INTERACTION",
            "Publish a retrieval request after EVERY_INTERACTION, DEBOUNCED per user, or NEVER."),
    HISTORY_REQUEST_DEBOUNCE_MS(
            "SIDSTREAM_HISTORY_REQUEST_DEBOUNCE_MS",
            "5000",
            "With DEBOUNCED: a user's request waits this long for further interactions (ms)."),
    HISTORY_REQUEST_CANDIDATES(
            "SIDSTREAM_HISTORY_REQUEST_CANDIDATES",
            "100",
            "K of the retrieval requests published for users."),
    ADVERTISED_HOST(
            "SIDSTREAM_INGEST_ADVERTISED_HOST",
            "localhost",
            "Host name other instances use to reach this one's HTTP port (pod DNS name on Kubernetes)."),
    HTTP_BIND_ADDRESS(
            "SIDSTREAM_INGEST_HTTP_BIND_ADDRESS",
            "",
            "Address the HTTP port listens on (e.g. 127.0.0.1); blank: every interface."),
    HTTP_TOKENS_FILE(
            "SIDSTREAM_INGEST_HTTP_TOKENS_FILE",
            "",
            "File of bearer tokens (one per line, a mounted secret) required on /items and /users;"
                    + " blank: no authentication. Probes and /metrics stay open."),
    HTTP_PORT(
            "SIDSTREAM_INGEST_HTTP_PORT",
            "8081",
            "Port of /health, /metrics and /items/{id}/sid; 0 = any.");

    private final String key;
    private final String defaultValue;
    private final String doc;

    IngestSetting(String key, String defaultValue, String doc) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.doc = doc;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String defaultValue() {
        return defaultValue;
    }

    @Override
    public String doc() {
        return doc;
    }
}
