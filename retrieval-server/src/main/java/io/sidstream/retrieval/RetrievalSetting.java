package io.sidstream.retrieval;

import io.sidstream.platform.settings.Setting;

/**
 * Every configuration key of retrieval-server, declared once with default and doc (environment
 * variables or properties-file keys; {@code SIDSTREAM_KAFKA_<NAME>} passes through to Kafka).
 */
public enum RetrievalSetting implements Setting {
    BOOTSTRAP_SERVERS("SIDSTREAM_BOOTSTRAP_SERVERS", "localhost:9092", "Kafka bootstrap servers."),
    APPLICATION_ID(
            "SIDSTREAM_RETRIEVAL_APPLICATION_ID",
            "sidstream-retrieval",
            "Consumer group of the request loop."),
    BUNDLE_DIR("SIDSTREAM_BUNDLE_DIR", "models/default", "Model bundle directory."),
    INDEX_SOURCE(
            "SIDSTREAM_RETRIEVAL_INDEX_SOURCE",
            "shared",
            "shared: index items.sid.v1 (the SID space ingest serves); own-space: index"
                    + " items.sid.v1.<the bundle's sidSpace>, written by an ingest-stream in"
                    + " retokenize mode, for a blue/green rollout of a bundle with a new RQ-VAE"
                    + " (histories are then read by item id)."),
    MAX_UNCOVERED_ITEMS(
            "SIDSTREAM_RETRIEVAL_MAX_UNCOVERED_ITEMS",
            "0",
            "With INDEX_SOURCE own-space: ready (and in the request group) once at most this many"
                    + " live catalog items lack a SID in the bundle's space. An item the new"
                    + " RQ-VAE cannot encode (a full prefix, say) is a dead letter of the"
                    + " re-tokenizing ingest, with the reason; 0 waits for every item."),
    EXECUTION_PROVIDER(
            "SIDSTREAM_EXECUTION_PROVIDER",
            "auto",
            "auto (CUDA if it works, else CPU), cuda (required) or cpu."),
    MODEL_THREADS(
            "SIDSTREAM_RETRIEVAL_MODEL_THREADS",
            "0",
            "ONNX Runtime intra-op threads (0 = one per core)."),
    SEARCH_GRAPH(
            "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH",
            "auto",
            "Answer unsteered batches with the bundle's one-graph search (decoder_search.onnx: one"
                    + " ONNX Runtime call per batch, nothing but the final beams coming back):"
                    + " auto (when the decoder runs on CUDA and the bundle has the graph), on"
                    + " (required: a bundle without one is refused) or off. Steered batches always"
                    + " search level by level; on CPUs the graph costs about as much."),
    GRAPH_INPUT_REFRESH_MS(
            "SIDSTREAM_RETRIEVAL_GRAPH_INPUT_REFRESH_MS",
            "1000",
            "With the one-graph search: its inputs built from the live index and prior (the compact"
                    + " trie and the prior's per-node bias, tens of ms per build at a million items)"
                    + " are rebuilt on a thread of their own at most this often (ms), a batch"
                    + " meanwhile searching the previous ones; an index or prior change reaches"
                    + " the graph's masks within about this long, and a result still holds only"
                    + " live items. 0 = rebuilt on the request path for every change (the answer"
                    + " is then exactly the level-by-level search's)."),
    MAX_BATCH("SIDSTREAM_MAX_BATCH", "32", "Requests per batched beam search at most."),
    MAX_WAIT_MS(
            "SIDSTREAM_MAX_WAIT_MS", "5", "Longest a request waits for its batch to fill (ms)."),
    MAX_QUEUE_WAIT_MS(
            "SIDSTREAM_RETRIEVAL_MAX_QUEUE_WAIT_MS",
            "30",
            "An HTTP request is refused at once (429 + Retry-After) when the interactive search work"
                    + " ahead of it would keep it waiting longer than this (ms), so that accepted"
                    + " requests stay fast under overload; 0 = no budget."),
    PRIOR_WEIGHT(
            "SIDSTREAM_PRIOR_WEIGHT",
            "1",
            "Weight of the live popularity prior (recent interactions per SID prefix, from"
                    + " users.events.v1) in the beam score; 0 = decoder alone. A bundle records"
                    + " the prior chosen for its decoder on the validation split (./sidstream eval"
                    + " --tune --save), which is served unless any SIDSTREAM_PRIOR_* key is set;"
                    + " this default applies to bundles that record none."),
    PRIOR_HALF_LIFE_HOURS(
            "SIDSTREAM_PRIOR_HALF_LIFE_HOURS",
            "24",
            "After this long an interaction counts half in the popularity prior (hours); the"
                    + " prior reads ten half-lives of users.events.v1 at start."),
    PRIOR_PSEUDO_COUNT(
            "SIDSTREAM_PRIOR_PSEUDO_COUNT",
            "0.1",
            "Smoothing of the popularity prior: events added to every code and item."),
    DEFAULT_BEAM("SIDSTREAM_DEFAULT_BEAM", "128", "Beam width when a request names none."),
    MAX_BEAM("SIDSTREAM_MAX_BEAM", "1024", "Largest beam width a request may ask for."),
    MAX_K("SIDSTREAM_MAX_K", "1000", "Most candidates a request may ask for."),
    FRESH_ITEM_PERCENT(
            "SIDSTREAM_FRESH_ITEM_PERCENT",
            "0",
            "Share of K (percent, at least one place) reserved for newly listed items under the final"
                    + " beams' prefixes, ranked by the popularity prior; 0 = off (the default: the"
                    + " live prior lets new items in by their activity, and ./sidstream eval measured"
                    + " slots lowering Recall@10)."),
    FRESH_ITEM_WINDOW_S(
            "SIDSTREAM_FRESH_ITEM_WINDOW_S",
            "86400",
            "How long after its listing (item event time) an item counts as newly listed (s)."),
    YOUNG_ITEM_WINDOW_HOURS(
            "SIDSTREAM_YOUNG_ITEM_WINDOW_HOURS",
            "720",
            "Items listed within this many hours (of the newest interaction's time) are ranked by the"
                    + " live prior among the results, as if the decoder rated them"
                    + " SIDSTREAM_YOUNG_ITEM_OFFSET below its best final beam: a decoder trained"
                    + " before an item existed cannot rank it. 0 = off. The defaults (30 days, 5"
                    + " candidates, offset 2) were chosen on the validation split; see the README."),
    YOUNG_ITEM_OFFSET(
            "SIDSTREAM_YOUNG_ITEM_OFFSET",
            "2",
            "How far below the request's best final beam (decoder log-probability) a young item's"
                    + " decoder part is taken to be; larger = fewer young items."),
    YOUNG_ITEM_CANDIDATES(
            "SIDSTREAM_YOUNG_ITEM_CANDIDATES",
            "5",
            "Young items considered per search, the most active (by the prior) first: few, so"
                    + " only the young items people watch most displace the decoder's."),
    INGEST_URL(
            "SIDSTREAM_INGEST_URL",
            "http://localhost:8081",
            "Base URL of ingest-stream's HTTP API, for requests that name a user instead of a history."),
    MAX_BODY_BYTES(
            "SIDSTREAM_RETRIEVAL_MAX_BODY_BYTES",
            "1048576",
            "Largest POST /recommendations body accepted; larger ones get 413."),
    REQUEST_DEADLINE_MS(
            "SIDSTREAM_RETRIEVAL_REQUEST_DEADLINE_MS",
            "10000",
            "An HTTP request not answered (searched and published) within this gets 503 (ms)."),
    TEXT_QUERIES(
            "SIDSTREAM_RETRIEVAL_TEXT_QUERIES",
            "true",
            "Load the bundle's sentence encoder and RQ-VAE so requests (HTTP and Kafka) may steer by"
                    + " a sentence (query); false saves their memory and start-up time."),
    HTTP_BIND_ADDRESS(
            "SIDSTREAM_RETRIEVAL_HTTP_BIND_ADDRESS",
            "",
            "Address the HTTP port listens on (e.g. 127.0.0.1); blank: every interface."),
    HTTP_TOKENS_FILE(
            "SIDSTREAM_RETRIEVAL_HTTP_TOKENS_FILE",
            "",
            "File of bearer tokens (one per line, a mounted secret) required on /recommendations;"
                    + " blank: no authentication. Probes and /metrics stay open."),
    ADMIN_TOKENS_FILE(
            "SIDSTREAM_RETRIEVAL_ADMIN_TOKENS_FILE",
            "",
            "File of bearer tokens required on /admin/ (decoder swap, shadow scoring); blank:"
                    + " /admin/ answers only requests from the loopback interface (kubectl exec or"
                    + " port-forward, local mode)."),
    SHADOW_BUNDLE_DIR(
            "SIDSTREAM_SHADOW_BUNDLE_DIR",
            "",
            "A candidate bundle of the served SID space that scores a sample of live requests in"
                    + " shadow, never answering them (metrics: sidstream_retrieval_shadow_*);"
                    + " blank: none. POST /admin/shadow sets or stops one at run time."),
    SHADOW_SAMPLE_PERCENT(
            "SIDSTREAM_SHADOW_SAMPLE_PERCENT",
            "10",
            "Share of answered requests (percent) the shadow candidate scores."),
    INGEST_TOKEN_FILE(
            "SIDSTREAM_INGEST_TOKEN_FILE",
            "",
            "File whose first line is the bearer token sent to ingest-stream's history API; blank:"
                    + " none."),
    HTTP_WORKERS(
            "SIDSTREAM_RETRIEVAL_HTTP_WORKERS",
            "8",
            "Requests to /recommendations searched at once (their searches share batches)."),
    HTTP_QUEUE(
            "SIDSTREAM_RETRIEVAL_HTTP_QUEUE",
            "4",
            "Requests that may wait for a worker; more are refused at once with 503 + Retry-After,"
                    + " which keeps the latency of accepted requests bounded under overload."),
    HTTP_PORT(
            "SIDSTREAM_RETRIEVAL_HTTP_PORT",
            "8082",
            "Port of /recommendations, /health, /metrics; 0 = any.");

    private final String key;
    private final String defaultValue;
    private final String doc;

    RetrievalSetting(String key, String defaultValue, String doc) {
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
