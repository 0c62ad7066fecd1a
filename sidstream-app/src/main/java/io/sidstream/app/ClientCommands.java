package io.sidstream.app;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.platform.kafka.WireFormatSelection;
import io.sidstream.platform.settings.SettingsReader;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.InteractionEvent;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Commands for users' own scripting against a running sidstream (the demo or a cluster): {@code
 * produce}, {@code tail} and {@code recommend}. Addresses come from options, then {@code
 * SIDSTREAM_BOOTSTRAP_SERVERS} / {@code SIDSTREAM_RETRIEVAL_URL}, then the running demo's {@code
 * state/demo/endpoints.properties}.
 */
final class ClientCommands {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    static final Path DEMO_ENDPOINTS = Path.of("state", "demo", "endpoints.properties");

    private ClientCommands() {}

    /**
     * Client commands read and write the public topics in the services' wire format, set the same
     * way ({@code SIDSTREAM_WIRE_FORMAT}, {@code SIDSTREAM_SCHEMA_REGISTRY_URL}).
     */
    static void useWireFormatOf(Map<String, String> env, boolean writes) {
        SettingsReader r = new SettingsReader(env);
        WireFormatSelection selection = WireFormatSelection.read(r);
        r.throwIfInvalid("client");
        selection.install(writes);
    }

    /** {@code produce items|interactions FILE}: validates the whole file, then produces it. */
    static int produce(List<String> args, PrintStream out) throws IOException {
        useWireFormatOf(System.getenv(), true);
        Map<String, String> opts = options(args, List.of("--bootstrap-servers", "--work-dir"));
        List<String> positional = positional(args);
        if (positional.size() != 2
                || !List.of("items", "interactions").contains(positional.get(0))) {
            throw new IllegalArgumentException(
                    "usage: sidstream produce items|interactions FILE(.jsonl|.dat) [--bootstrap-servers HOSTS] [--work-dir DIR]");
        }
        Path file = Path.of(positional.get(1));
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a file");
        }
        // Parsed in full first, before any address is looked up: any bad line stops the command
        // before anything is produced, and every bad line is reported, not only the first.
        Datasets.Parsed<?> parsed =
                positional.get(0).equals("items")
                        ? Datasets.parseCatalog(file)
                        : Datasets.parseInteractions(file);
        if (!parsed.problems().isEmpty()) {
            parsed.problems().forEach(p -> out.println(p.getMessage()));
            out.printf(
                    "%d bad line(s) in %s; nothing was produced%n", parsed.problems().size(), file);
            return 1;
        }
        String bootstrap =
                endpoint(
                        opts.get("--bootstrap-servers"),
                        "SIDSTREAM_BOOTSTRAP_SERVERS",
                        "bootstrap",
                        opts.get("--work-dir"));
        long sent;
        if (positional.get(0).equals("items")) {
            @SuppressWarnings("unchecked")
            List<CatalogItem> items = (List<CatalogItem>) parsed.records();
            sent =
                    produceAll(
                            bootstrap,
                            Topics.ITEMS,
                            items.stream()
                                    .map(i -> Map.entry(i.itemId(), DemoRecords.itemEvent(i)))
                                    .toList());
        } else {
            @SuppressWarnings("unchecked")
            List<Interaction> interactions = (List<Interaction>) parsed.records();
            List<Map.Entry<String, InteractionEvent>> records = new ArrayList<>();
            for (int i = 0; i < interactions.size(); i++) {
                Interaction e = interactions.get(i);
                records.add(Map.entry(e.userId(), DemoRecords.interactionEvent(e, i)));
            }
            sent = produceAll(bootstrap, Topics.INTERACTIONS, records);
        }
        out.printf(
                "produced %d records to %s%n",
                sent,
                positional.get(0).equals("items")
                        ? Topics.ITEMS.name()
                        : Topics.INTERACTIONS.name());
        return 0;
    }

    private static <V> long produceAll(
            String bootstrap, TopicSpec<String, V> spec, List<Map.Entry<String, V>> records) {
        List<Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<String, V> producer = DemoKafka.producer(bootstrap, spec)) {
            for (Map.Entry<String, V> r : records) {
                acks.add(
                        producer.send(new ProducerRecord<>(spec.name(), r.getKey(), r.getValue())));
            }
            producer.flush();
            for (Future<?> ack : acks) {
                ack.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "producing to " + spec.name() + " at " + bootstrap + " failed: " + e.getCause(),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            throw new IllegalStateException(
                    "no Kafka broker answered at " + bootstrap + " (is the demo running?)", e);
        }
        return acks.size();
    }

    /**
     * {@code tail TOPIC}: the topic's records decoded from Avro, one JSON object per line (Avro's
     * JSON encoding of the value); {@code --from-beginning}, {@code --max N}.
     */
    static int tail(List<String> args, PrintStream out) throws IOException {
        useWireFormatOf(System.getenv(), false);
        Map<String, String> opts =
                options(args, List.of("--bootstrap-servers", "--max", "--idle-ms", "--work-dir"));
        List<String> positional = positional(args);
        if (positional.size() != 1) {
            throw new IllegalArgumentException(
                    "usage: sidstream tail TOPIC [--from-beginning] [--max N] [--idle-ms MS] [--bootstrap-servers HOSTS] [--work-dir DIR]");
        }
        TopicSpec<?, ?> spec =
                Topics.byName(positional.get(0))
                        .orElseThrow(
                                () ->
                                        new IllegalArgumentException(
                                                "unknown topic "
                                                        + positional.get(0)
                                                        + "; catalogued: "
                                                        + Topics.all().stream()
                                                                .map(TopicSpec::name)
                                                                .toList()));
        long max = Long.parseLong(opts.getOrDefault("--max", Long.toString(Long.MAX_VALUE)));
        long idleMs = Long.parseLong(opts.getOrDefault("--idle-ms", "0"));
        Properties props = readerProperties(opts);
        Deserializer<?> values = spec.valueSerde().deserializer();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(
                        props,
                        new StringDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions =
                    consumer.partitionsFor(spec.name(), Duration.ofSeconds(15)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition()))
                            .toList();
            consumer.assign(partitions);
            boolean fromBeginning = args.contains("--from-beginning");
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            // With --from-beginning --max N, a topic holding fewer than N records ends the
            // command once what it held at start is printed, instead of waiting for more.
            Map<TopicPartition, Long> ends =
                    fromBeginning && opts.containsKey("--max")
                            ? consumer.endOffsets(partitions)
                            : null;
            long printed = 0;
            long lastRecord = System.currentTimeMillis();
            while (printed < max) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()
                        && idleMs > 0
                        && System.currentTimeMillis() - lastRecord > idleMs) {
                    break;
                }
                if (records.isEmpty()
                        && ends != null
                        && ends.entrySet().stream()
                                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    lastRecord = System.currentTimeMillis();
                    out.println(decoded(r, values));
                    if (++printed >= max) {
                        break;
                    }
                }
            }
        }
        return 0;
    }

    /** The record as a JSON line; one that does not decode says why instead of ending tail. */
    private static String decoded(ConsumerRecord<String, byte[]> r, Deserializer<?> values)
            throws IOException {
        Object value;
        try {
            value = r.value() == null ? null : values.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            var node = JSON.createObjectNode();
            node.put("partition", r.partition());
            node.put("offset", r.offset());
            node.put("key", r.key());
            node.put("undecodable", e.getMessage() == null ? "unreadable record" : e.getMessage());
            return JSON.writeValueAsString(node);
        }
        return line(r, value);
    }

    private static String line(ConsumerRecord<String, byte[]> r, Object value) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("{\"topic\":")
                .append(quote(r.topic()))
                .append(",\"partition\":")
                .append(r.partition())
                .append(",\"offset\":")
                .append(r.offset())
                .append(",\"timestamp\":")
                .append(r.timestamp())
                .append(",\"key\":")
                .append(r.key() == null ? "null" : quote(r.key()))
                .append(",\"value\":")
                .append(value == null ? "null" : avroJson((SpecificRecord) value))
                .append('}');
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static String avroJson(SpecificRecord record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        JsonEncoder encoder = EncoderFactory.get().jsonEncoder(record.getSchema(), bytes);
        new SpecificDatumWriter<SpecificRecord>((org.apache.avro.Schema) record.getSchema())
                .write(record, encoder);
        encoder.flush();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** {@code recommend USER}: asks retrieval-server, which fetches the user's stored history. */
    static int recommend(List<String> args, PrintStream out)
            throws IOException, InterruptedException {
        Map<String, String> opts =
                options(
                        args,
                        List.of(
                                "--url",
                                "--k",
                                "--beam",
                                "--include",
                                "--exclude",
                                "--token-file",
                                "--catalog",
                                "--work-dir"));
        List<String> positional = positional(args);
        if (positional.size() != 1) {
            throw new IllegalArgumentException(
                    "usage: sidstream recommend USER [--k N] [--beam N] [--include 12,200] [--exclude 7] [--url URL] [--token-file FILE] [--catalog FILE] [--work-dir DIR]");
        }
        String url =
                endpoint(
                        opts.get("--url"),
                        "SIDSTREAM_RETRIEVAL_URL",
                        "retrieval",
                        opts.get("--work-dir"));
        RetrievalClient.Query query =
                RetrievalClient.Query.forUser(
                        positional.get(0), Integer.parseInt(opts.getOrDefault("--k", "10")));
        if (opts.containsKey("--beam")) {
            query = query.withBeamWidth(Integer.parseInt(opts.get("--beam")));
        }
        query =
                query.steered(
                        prefixesOption(opts.get("--include")),
                        prefixesOption(opts.get("--exclude")));
        RetrievalClient.Answer answer =
                new RetrievalClient(
                                url,
                                java.time.Duration.ofSeconds(30),
                                BearerTokens.firstToken(opts.get("--token-file")))
                        .recommend(query);
        if (!answer.ok()) {
            out.println(answer.raw());
            return 1;
        }
        Path catalog = catalogOf(opts.get("--catalog"), opts.get("--work-dir"));
        if (catalog == null) {
            out.println(answer.raw());
            return 0;
        }
        // Titles from the catalog, so a person can read the answer.
        Map<String, String> titles = new java.util.HashMap<>();
        Datasets.parseCatalog(catalog).records().forEach(i -> titles.put(i.itemId(), i.title()));
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) answer.body().deepCopy();
        for (var c : body.withArray("candidates")) {
            String title = titles.get(c.path("itemId").asText());
            if (title != null) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) c).put("title", title);
            }
        }
        out.println(JSON.writeValueAsString(body));
        return 0;
    }

    /** {@code "12,200;7"} as prefixes [[12, 200], [7]]. */
    private static List<List<Integer>> prefixesOption(String spec) {
        List<List<Integer>> prefixes = new ArrayList<>();
        if (spec == null) {
            return prefixes;
        }
        for (String prefix : spec.split(";")) {
            List<Integer> codes = new ArrayList<>();
            for (String code : prefix.split(",")) {
                try {
                    codes.add(Integer.parseInt(code.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "prefix '" + prefix + "' is not comma-separated codes, e.g. 12,200");
                }
            }
            prefixes.add(codes);
        }
        return prefixes;
    }

    /** Where the running demo listens, written when it starts. */
    static void writeDemoEndpoints(Path workDir, Map<String, String> endpoints) {
        Properties p = new Properties();
        p.putAll(endpoints);
        try (var w = Files.newBufferedWriter(workDir.resolve("endpoints.properties"))) {
            p.store(w, "addresses of the running sidstream demo");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An address: the option, else the environment variable, else the running demo's endpoints file
     * in {@code workDir} (default {@code state/demo}, as the demo's own {@code --work-dir}).
     */
    private static String endpoint(String option, String env, String key, String workDir)
            throws IOException {
        if (option != null) {
            return option;
        }
        String fromEnv = System.getenv(env);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        Path file = endpointsFile(workDir);
        String found = demoEndpoint(workDir, key);
        if (found != null) {
            return found;
        }
        throw new IllegalArgumentException(
                "no "
                        + key
                        + " address: pass it as an option, set "
                        + env
                        + ", or start ./sidstream demo (looked for "
                        + file
                        + (Files.exists(file) ? ", which has no " + key : ", which does not exist")
                        + "; a demo started with --work-dir DIR is found with --work-dir DIR)");
    }

    private static Path endpointsFile(String workDir) {
        return workDir == null ? DEMO_ENDPOINTS : Path.of(workDir, "endpoints.properties");
    }

    private static String demoEndpoint(String workDir, String key) throws IOException {
        Path file = endpointsFile(workDir);
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        return p.getProperty(key);
    }

    /** The catalog to take titles from: the option, else the running demo's; null when none. */
    private static Path catalogOf(String option, String workDir) throws IOException {
        String path = option != null ? option : demoEndpoint(workDir, "catalog");
        return path != null && Files.isRegularFile(Path.of(path)) ? Path.of(path) : null;
    }

    /**
     * A committed-records reader's properties, the broker found from {@code --bootstrap-servers},
     * {@code SIDSTREAM_BOOTSTRAP_SERVERS} or the running demo ({@code --work-dir}).
     */
    static Properties readerProperties(Map<String, String> opts) throws IOException {
        Properties props = new Properties();
        props.put(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                endpoint(
                        opts.get("--bootstrap-servers"),
                        "SIDSTREAM_BOOTSTRAP_SERVERS",
                        "bootstrap",
                        opts.get("--work-dir")));
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return props;
    }

    /** Options with a value; an unknown {@code --option} is a usage error. */
    static Map<String, String> options(List<String> args, List<String> withValue) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (withValue.contains(a)) {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                out.put(a, args.get(++i));
            } else if (a.startsWith("--") && !a.equals("--from-beginning")) {
                throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return out;
    }

    private static List<String> positional(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--from-beginning")) {
                continue;
            }
            if (a.startsWith("--")) {
                i++;
                continue;
            }
            out.add(a);
        }
        return out;
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
