package io.sidstream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.contracts.Topics;
import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.contracts.serde.RegistryWireFormat;
import io.sidstream.contracts.serde.SchemaRegistryClient;
import io.sidstream.contracts.serde.UnknownSchemaException;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.tokens.RankerTokenizers;
import io.sidstream.model.tokens.SidTokenizer;
import io.sidstream.platform.kafka.WireFormatSetting;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.schemas.v1.UserHistory;
import io.sidstream.testkit.kafka.TopicReader;
import io.sidstream.testkit.python.PythonKit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A Python process is a full sidstream client: with the kit in {@code clients/python}
 * (python3-confluent-kafka at librdkafka's defaults, python3-avro) it lists items, sends
 * interactions and reads decoded recommendations from a real broker, both services running. Once in
 * single-object encoding (the default), once in the registry wire format against a real schema
 * registry (Apicurio, Confluent-compatible API), where the Python side resolves ids with
 * confluent-kafka's own {@code SchemaRegistryClient}.
 */
@Tag("integration")
@Timeout(900)
class PythonClientIT {
    static final Path REPO = ManifestsTest.REPO;
    static final Path SCHEMAS = PythonKit.schemas();
    static final Path KIT = PythonKit.directory();
    static final int ITEMS = 24;
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void backToTheDefaultWireFormat() {
        AvroSerdes.useSingleObject();
    }

    @Test
    void pythonListsItemsSendsInteractionsAndReadsRecommendations(@TempDir Path dir)
            throws Exception {
        try (EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            roundTrip(cluster, dir, null);
        }
    }

    @Test
    void registryAwareClientsAndServicesShareARealSchemaRegistry(@TempDir Path dir)
            throws Exception {
        try (SchemaRegistryServer registry = SchemaRegistryServer.start(dir);
                EmbeddedKraftCluster cluster = EmbeddedKraftCluster.start()) {
            roundTrip(cluster, dir, registry.url());

            // The real registry's answers are classified as the serdes need: an unknown id is a
            // record problem (dead letter), a wrong address is an outage (stop, never DLQ).
            assertThatThrownBy(
                            () -> SchemaRegistryClient.of(registry.url(), null).schemaById(987_654))
                    .isInstanceOf(UnknownSchemaException.class);
            assertThatThrownBy(
                            () ->
                                    SchemaRegistryClient.of(
                                                    URI.create(registry.url() + "/nowhere"), null)
                                            .schemaById(1))
                    .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class);

            // Every record the services wrote carries magic byte 0 and an id the registry
            // resolves to the topic's record type, under the topic's value subject.
            Set<Integer> sidIds = idsOn(cluster, Topics.ITEM_SIDS.name());
            Set<Integer> resultIds = idsOn(cluster, Topics.RECOMMENDATIONS.name());
            assertThat(schemaName(registry, sidIds)).isEqualTo("ItemSid");
            assertThat(schemaName(registry, resultIds)).isEqualTo("Recommendations");
            assertThat(schemaName(registry, idsOn(cluster, Topics.ITEMS.name())))
                    .isEqualTo("ItemEvent");
            assertThat(JSON.readTree(registry.get("subjects")))
                    .extracting(JsonNode::asText)
                    .contains(
                            RegistryWireFormat.valueSubject(Topics.ITEMS.name()),
                            RegistryWireFormat.valueSubject(Topics.INTERACTIONS.name()),
                            RegistryWireFormat.valueSubject(Topics.ITEM_SIDS.name()),
                            RegistryWireFormat.valueSubject(Topics.RETRIEVAL_REQUESTS.name()),
                            RegistryWireFormat.valueSubject(Topics.RECOMMENDATIONS.name()));
        }
    }

    private void roundTrip(EmbeddedKraftCluster cluster, Path dir, URI registry) throws Exception {
        LocalServices.createTopics(cluster, 3);
        List<CatalogItem> catalog =
                Datasets.readCatalog(REPO.resolve("data/movietweetings-100k/movies.dat"))
                        .subList(0, ITEMS);
        List<String> itemIds = catalog.stream().map(CatalogItem::itemId).toList();
        StringBuilder items = new StringBuilder();
        for (CatalogItem item : catalog) {
            ObjectNode value = JSON.createObjectNode();
            value.put("itemId", item.itemId());
            value.put("title", item.title());
            ArrayNode categories = value.putArray("categories");
            item.categories().forEach(categories::add);
            value.put("eventTime", 1_362_096_000_000L);
            ObjectNode line = JSON.createObjectNode();
            line.put("topic", Topics.ITEMS.name());
            line.put("key", item.itemId());
            line.set("value", value);
            items.append(JSON.writeValueAsString(line)).append('\n');
        }
        Path itemsFile = dir.resolve("items.jsonl");
        Files.writeString(itemsFile, items);
        String produced =
                python(
                        registry,
                        List.of(
                                "-m",
                                "sidstream_client",
                                "produce",
                                "--bootstrap",
                                cluster.bootstrapServers(),
                                "--schemas",
                                SCHEMAS.toString(),
                                itemsFile.toString()));
        assertThat(produced).contains("\"produced\": " + ITEMS);

        Map<String, String> wire = new HashMap<>();
        if (registry != null) {
            wire.put(WireFormatSetting.WIRE_FORMAT.key(), "registry");
            wire.put(WireFormatSetting.SCHEMA_REGISTRY_URL.key(), registry.toString());
        }
        Map<String, String> ingestSettings = new HashMap<>(wire);
        ingestSettings.put(IngestSetting.HISTORY_REQUEST_POLICY.key(), "NEVER");
        try (IngestService ingest = LocalServices.ingest(cluster, dir, ingestSettings)) {
            // The Python side lists the live catalog with its SIDs.
            Map<String, List<Integer>> listed = new HashMap<>();
            Map<String, JsonNode> rankerTokens = new HashMap<>();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            while (listed.size() < ITEMS && System.nanoTime() < deadline) {
                listed.clear();
                for (String line : lines(python(registry, example("list_items.py", cluster)))) {
                    JsonNode item = JSON.readTree(line);
                    List<Integer> sid = new ArrayList<>();
                    item.get("sid").forEach(c -> sid.add(c.asInt()));
                    listed.put(item.get("item_id").asText(), sid);
                    rankerTokens.put(item.get("item_id").asText(), item.get("ranker_tokens"));
                }
                if (listed.size() < ITEMS) {
                    Thread.sleep(1000);
                }
            }
            assertThat(listed.keySet()).containsExactlyInAnyOrderElementsOf(itemIds);
            assertThat(new HashSet<>(listed.values())).as("one SID per item").hasSize(ITEMS);
            // Every SID carries the bundle's ranker tokens, as the Java tokenizers compute them.
            List<SidTokenizer> tokenizers =
                    RankerTokenizers.of(ModelBundle.load(REPO.resolve("models/default")));
            assertThat(tokenizers).isNotEmpty();
            listed.forEach(
                    (item, sid) -> {
                        for (SidTokenizer t : tokenizers) {
                            List<Integer> expected =
                                    Arrays.stream(t.tokenize(sid)).boxed().toList();
                            List<Integer> published = new ArrayList<>();
                            rankerTokens
                                    .get(item)
                                    .path(t.name())
                                    .forEach(n -> published.add(n.asInt()));
                            assertThat(published)
                                    .as("%s tokens of %s", t.name(), item)
                                    .isEqualTo(expected);
                        }
                    });

            List<String> alice = itemIds.subList(0, 5);
            List<String> bob = itemIds.subList(12, 17);
            sendInteractions(cluster, registry, "alice", alice);
            sendInteractions(cluster, registry, "bob", bob);
            awaitHistories(cluster, Map.of("alice", alice.size(), "bob", bob.size()));

            try (RetrievalService retrieval = LocalServices.retrieval(cluster, ingest, wire)) {
                List<String> forAlice = recommend(cluster, registry, "alice");
                List<String> forBob = recommend(cluster, registry, "bob");
                assertThat(forAlice).isNotEmpty().doesNotContainAnyElementsOf(alice);
                assertThat(forBob).isNotEmpty().doesNotContainAnyElementsOf(bob);
                assertThat(itemIds).containsAll(forAlice).containsAll(forBob);
                assertThat(forAlice)
                        .as("lists follow each user's own history")
                        .isNotEqualTo(forBob);
            }
        }
    }

    private static void sendInteractions(
            EmbeddedKraftCluster cluster, URI registry, String user, List<String> items)
            throws Exception {
        List<String> args = new ArrayList<>(example("send_interactions.py", cluster));
        args.add(user);
        args.addAll(items);
        assertThat(python(registry, args)).contains("\"sent\": " + items.size());
    }

    private static List<String> recommend(EmbeddedKraftCluster cluster, URI registry, String user)
            throws Exception {
        List<String> args = new ArrayList<>(example("recommend.py", cluster));
        args.addAll(List.of(user, "--k", "8", "--beam", "32", "--timeout", "120"));
        JsonNode answer = JSON.readTree(lines(python(registry, args)).get(0));
        assertThat(answer.get("user").asText()).isEqualTo(user);
        List<String> items = new ArrayList<>();
        answer.get("items").forEach(i -> items.add(i.asText()));
        return items;
    }

    /** Waits until users.history.v1 holds each user's history with the given length. */
    private static void awaitHistories(EmbeddedKraftCluster cluster, Map<String, Integer> lengths)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Map<String, Integer> seen = new HashMap<>();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, UserHistory> r :
                    TopicReader.readAll(
                            cluster,
                            Topics.USER_HISTORIES.name(),
                            new StringDeserializer(),
                            Topics.USER_HISTORIES.valueSerde().deserializer(),
                            Duration.ofSeconds(30))) {
                if (r.value() != null) {
                    seen.put(r.key(), r.value().getEntries().size());
                }
            }
            if (seen.entrySet().containsAll(lengths.entrySet())) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("histories " + seen + ", expected lengths " + lengths);
    }

    private static Set<Integer> idsOn(EmbeddedKraftCluster cluster, String topic) {
        Set<Integer> ids = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r :
                TopicReader.readAll(
                        cluster,
                        topic,
                        new StringDeserializer(),
                        new ByteArrayDeserializer(),
                        Duration.ofSeconds(30))) {
            if (r.value() != null) {
                assertThat(r.value()[0]).as("magic byte of a record on %s", topic).isZero();
                ids.add(RegistryWireFormat.schemaIdOf(r.value()));
            }
        }
        assertThat(ids).as("records on %s", topic).isNotEmpty();
        return ids;
    }

    /** The one record name the registry gives for these ids. */
    private static String schemaName(SchemaRegistryServer registry, Set<Integer> ids)
            throws IOException, InterruptedException {
        Set<String> names = new HashSet<>();
        for (int id : ids) {
            JsonNode schema =
                    JSON.readTree(
                            JSON.readTree(registry.get("schemas/ids/" + id))
                                    .get("schema")
                                    .asText());
            names.add(schema.get("name").asText());
        }
        assertThat(names).hasSize(1);
        return names.iterator().next();
    }

    private static List<String> example(String script, EmbeddedKraftCluster cluster) {
        return List.of(
                KIT.resolve("examples").resolve(script).toString(),
                "--bootstrap",
                cluster.bootstrapServers());
    }

    private static List<String> lines(String out) {
        return out.lines().filter(l -> l.startsWith("{")).toList();
    }

    /** Runs python3 in the kit's directory, with {@code --registry} in registry mode. */
    private static String python(URI registry, List<String> args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(args);
        if (registry != null) {
            command.addAll(List.of("--registry", registry.toString()));
        }
        return PythonKit.run(command, Duration.ofMinutes(3));
    }
}
