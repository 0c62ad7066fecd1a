package io.sidstream.ingest.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.ingest.errors.RejectReason;
import io.sidstream.ingest.metrics.ItemMetrics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.errors.DeadLetters;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SidAssigner;
import io.sidstream.testkit.HostileRecords;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The production ItemTopology with the default bundle's real models, under exactly-once. */
class ItemTopologyTest {
    static final Path DEFAULT_BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);
    static final Duration MAX_WAIT = Duration.ofMillis(50);
    static final int BATCH = 4;

    private static SidAssigner assigner;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> items;
    private TestOutputTopic<String, ItemSid> sids;
    private TestOutputTopic<String, DeadLetter> dlq;
    private TestOutputTopic<String, ItemEvent> catalog;
    private ItemMetrics metrics;

    @BeforeAll
    static void loadModels() {
        assigner = SidAssigner.open(ModelBundle.load(DEFAULT_BUNDLE), 1);
    }

    @AfterAll
    static void closeModels() {
        assigner.close();
    }

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd-items");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        metrics =
                new ItemMetrics(
                        new SimpleMeterRegistry(), assigner.levels(), assigner.codebookSize());
        var settings = new ItemAssignmentSettings("ttd-items", BATCH, MAX_WAIT, 4, 2_000);
        driver = new TopologyTestDriver(ItemTopology.build(settings, assigner, metrics), props);
        items =
                driver.createInputTopic(
                        Topics.ITEMS.name(), new StringSerializer(), new ByteArraySerializer());
        sids =
                driver.createOutputTopic(
                        Topics.ITEM_SIDS.name(),
                        Serdes.String().deserializer(),
                        Topics.ITEM_SIDS.valueSerde().deserializer());
        dlq =
                driver.createOutputTopic(
                        Topics.ITEMS_DLQ.name(),
                        Serdes.String().deserializer(),
                        Topics.ITEMS_DLQ.valueSerde().deserializer());
        catalog =
                driver.createOutputTopic(
                        Topics.ITEM_CATALOG.name(),
                        Serdes.String().deserializer(),
                        Topics.ITEM_CATALOG.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    static ItemEvent text(String id, String title, String... genres) {
        return ItemEvent.newBuilder()
                .setItemId(id)
                .setTitle(title)
                .setCategories(List.of(genres))
                .setEventTime(Instant.parse("2013-03-01T00:00:00Z"))
                .build();
    }

    static ItemEvent vector(String id, float[] v) {
        List<Float> values = new ArrayList<>();
        for (float x : v) {
            values.add(x);
        }
        return ItemEvent.newBuilder()
                .setItemId(id)
                .setTitle("vector item " + id)
                .setEmbedding(values)
                .setEventTime(Instant.parse("2013-03-01T00:00:00Z"))
                .build();
    }

    static float[] unitVector(long seed) {
        Random random = new Random(seed);
        float[] v = new float[384];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    void send(String key, ItemEvent event) {
        items.pipeInput(
                key,
                event == null ? null : AvroSerdes.forType(ItemEvent.class).serialize("t", event));
    }

    void flush() {
        driver.advanceWallClockTime(MAX_WAIT.multipliedBy(2));
    }

    KeyValueStore<String, ItemState> itemStore() {
        return driver.getKeyValueStore(IngestStores.ITEM_STATE);
    }

    @Test
    void shouldAssignAFullSidToANewItemAfterTheBatchWindow() {
        send("0110912", text("0110912", "Pulp Fiction (1994)", "Crime", "Thriller"));
        assertThat(sids.isEmpty()).as("held for its micro-batch").isTrue();
        flush();
        KeyValue<String, ItemSid> out = sids.readKeyValue();
        assertThat(out.key).isEqualTo("0110912");
        assertThat(out.value.getSid()).hasSize(assigner.levels() + 1);
        assertThat(out.value.getSid().get(assigner.levels())).isZero();
        assertThat(out.value.getModelVersion()).isEqualTo(assigner.modelVersion());
        assertThat(itemStore().get("0110912").getSid()).isEqualTo(out.value.getSid());
        assertThat(driver.getKeyValueStore(IngestStores.ITEM_PENDING).approximateNumEntries())
                .isZero();
    }

    @Test
    void shouldEmbedAFullBatchWithinTheMaxWait() {
        for (int i = 0; i < BATCH; i++) {
            send("m" + i, text("m" + i, "Movie number " + i + " (2013)", "Drama"));
        }
        // Records only join the pending store; the next punctuation embeds them.
        assertThat(sids.readKeyValuesToList()).isEmpty();
        driver.advanceWallClockTime(MAX_WAIT);
        assertThat(sids.readKeyValuesToList()).hasSize(BATCH);
        assertThat(metrics.assignedCount()).isEqualTo(BATCH);
    }

    /**
     * An item that carries its own vector needs only the RQ-VAE: its SID is out as soon as the
     * record is processed, with no punctuation, and it never enters the pending store. A text
     * content still waiting for its batch is superseded by a vector that follows it.
     */
    @Test
    void shouldGiveAnItemThatCarriesItsVectorItsSidWithoutWaitingForABatch() {
        float[] v = unitVector(11);
        send("w", text("w", "Waiting for its batch (2013)", "Drama"));
        send("w", vector("w", v));
        List<KeyValue<String, ItemSid>> out = sids.readKeyValuesToList();
        assertThat(out).as("published before any punctuation").hasSize(1);
        int[] codes = assigner.semanticCodes(List.of(ItemContent.ofVector(v)))[0];
        assertThat(out.get(0).value.getSid().subList(0, codes.length))
                .isEqualTo(Arrays.stream(codes).boxed().toList());
        assertThat(driver.getKeyValueStore(IngestStores.ITEM_PENDING).get("w"))
                .as("the superseded text left the pending store")
                .isNull();
        flush();
        assertThat(sids.readKeyValuesToList()).as("the old text never publishes").isEmpty();
        assertThat(itemStore().get("w").getSid()).isEqualTo(out.get(0).value.getSid());
    }

    /**
     * A backlog larger than many batches drains completely, items listed behind the scan's position
     * included, and every item gets exactly one SID, none shared.
     */
    @Test
    void shouldDrainABacklogOfManyBatchesGivingEveryItemExactlyOneSid() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10 * BATCH; i++) {
            ids.add(String.format(java.util.Locale.ROOT, "k%03d", i));
        }
        for (String id : ids) {
            send(id, text(id, "Backlog movie " + id + " (2013)", "Drama"));
        }
        driver.advanceWallClockTime(MAX_WAIT);
        // Listed while the scan is part-way through: keys before and after its position.
        for (String id : List.of("a-early", "k005x", "z-late")) {
            ids.add(id);
            send(id, text(id, "Late listing " + id + " (2013)", "Comedy"));
        }
        for (int round = 0; round < 20; round++) {
            driver.advanceWallClockTime(MAX_WAIT);
        }
        Map<String, List<Integer>> table = new HashMap<>();
        for (KeyValue<String, ItemSid> kv : sids.readKeyValuesToList()) {
            assertThat(table.put(kv.key, kv.value.getSid())).as("one SID for " + kv.key).isNull();
        }
        assertThat(table).containsOnlyKeys(ids);
        assertThat(new HashSet<>(table.values())).hasSize(ids.size());
        assertThat(driver.getKeyValueStore(IngestStores.ITEM_PENDING).approximateNumEntries())
                .isZero();
    }

    @Test
    void shouldReTokenizeTheCatalogIntoItsOwnSidSpaceAndLeaveTheCatalogAlone() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd-retokenize");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        var settings = new ItemAssignmentSettings("ttd-retokenize", BATCH, MAX_WAIT, 4, 2_000);
        String space = Topics.spaceSids(assigner.modelVersion()).name();
        try (TopologyTestDriver retokenizer =
                new TopologyTestDriver(
                        ItemTopology.build(
                                settings,
                                assigner,
                                metrics,
                                ItemTopology.Endpoints.retokenizing(assigner.modelVersion())),
                        props)) {
            TestInputTopic<String, byte[]> catalogIn =
                    retokenizer.createInputTopic(
                            Topics.ITEM_CATALOG.name(),
                            new StringSerializer(),
                            new ByteArraySerializer());
            TestOutputTopic<String, ItemSid> spaceSids =
                    retokenizer.createOutputTopic(
                            space,
                            Serdes.String().deserializer(),
                            Topics.ITEM_SIDS.valueSerde().deserializer());
            var serde = AvroSerdes.forType(ItemEvent.class);
            catalogIn.pipeInput("a", serde.serialize("t", vector("a", unitVector(1))));
            catalogIn.pipeInput("b", serde.serialize("t", vector("b", unitVector(2))));
            catalogIn.pipeInput("b", null);
            retokenizer.advanceWallClockTime(MAX_WAIT.multipliedBy(2));
            Map<String, ItemSid> table = new HashMap<>();
            spaceSids.readKeyValuesToList().forEach(kv -> table.put(kv.key, kv.value));
            assertThat(table).containsOnlyKeys("a", "b");
            assertThat(table.get("a").getModelVersion()).isEqualTo(assigner.modelVersion());
            assertThat(table.get("b")).as("delisted: a tombstone").isNull();
            assertThat(retokenizer.producedTopicNames())
                    .contains(space)
                    .doesNotContain(Topics.ITEM_CATALOG.name(), Topics.ITEM_SIDS.name());
        }
    }

    @Test
    void shouldKeepTheSidWhenAnUnchangedItemIsReplayedOrRelisted() {
        ItemEvent event = text("a", "The Conjuring (2013)", "Horror");
        send("a", event);
        flush();
        List<Integer> first = sids.readValue().getSid();
        send("a", event);
        send(
                "a",
                ItemEvent.newBuilder(event)
                        .setEventTime(Instant.parse("2013-05-01T00:00:00Z"))
                        .build());
        flush();
        assertThat(sids.isEmpty()).as("no new SID for unchanged content").isTrue();
        assertThat(itemStore().get("a").getSid()).isEqualTo(first);
    }

    @Test
    void shouldGiveChangedContentANewSidAndPublishTheLatestLast() {
        send("v", vector("v", unitVector(1)));
        flush();
        List<Integer> before = sids.readValue().getSid();
        send("v", vector("v", unitVector(2)));
        flush();
        List<KeyValue<String, ItemSid>> after = sids.readKeyValuesToList();
        assertThat(after).hasSize(1);
        assertThat(after.get(0).value.getSid().subList(0, 3)).isNotEqualTo(before.subList(0, 3));
        assertThat(itemStore().get("v").getSid()).isEqualTo(after.get(0).value.getSid());
        assertThat(itemStore().get("v").getSeq()).isEqualTo(2);
    }

    @Test
    void shouldNumberItemsThatShareAPrefixAndNeverDuplicateAFullSid() {
        float[] same = unitVector(7);
        for (String id : List.of("x1", "x2", "x3")) {
            send(id, vector(id, same));
        }
        flush();
        List<ItemSid> out = sids.readValuesToList();
        assertThat(out).hasSize(3);
        assertThat(out)
                .extracting(s -> s.getSid().subList(0, 3))
                .containsOnly(out.get(0).getSid().subList(0, 3));
        assertThat(out).extracting(s -> s.getSid().get(3)).containsExactlyInAnyOrder(0, 1, 2);
    }

    @Test
    void shouldDelistWithATombstoneAndReuseTheFreedCollisionCode() {
        float[] same = unitVector(9);
        send("d1", vector("d1", same));
        send("d2", vector("d2", same));
        flush();
        sids.readValuesToList();
        send("d1", null);
        KeyValue<String, ItemSid> tombstone = sids.readKeyValue();
        assertThat(tombstone.key).isEqualTo("d1");
        assertThat(tombstone.value).isNull();
        assertThat(itemStore().get("d1")).isNull();
        send("d3", vector("d3", same));
        flush();
        ItemSid d3 = sids.readValue();
        Set<Integer> liveCodes =
                new HashSet<>(List.of(itemStore().get("d2").getSid().get(3), d3.getSid().get(3)));
        assertThat(liveCodes).hasSize(2);
        assertThat(d3.getSid().get(3)).as("d1's freed code 0 is reused").isZero();
    }

    /**
     * The catalog topic keeps what a new RQ-VAE needs to re-tokenize every live item: the latest
     * accepted content per item, byte for byte as produced, and a tombstone once delisted; never a
     * rejected record, and nothing new for a resend of the same content.
     */
    @Test
    void shouldKeepTheLatestAcceptedContentOfEveryLiveItemInTheCatalog() {
        ItemEvent first = text("a", "Gravity (2013)", "Sci-Fi");
        ItemEvent changed = text("a", "Gravity (2013)", "Sci-Fi", "Thriller");
        send("a", first);
        send("a", first); // unchanged: nothing new to keep
        send("a", changed);
        send("b", vector("b", unitVector(4)));
        send("blank", text("blank", " ")); // rejected: never in the catalog
        send("b", null);
        flush();

        List<KeyValue<String, ItemEvent>> kept = catalog.readKeyValuesToList();
        assertThat(kept).extracting(kv -> kv.key).containsExactly("a", "a", "b", "b");
        Map<String, ItemEvent> table = new HashMap<>();
        kept.forEach(kv -> table.put(kv.key, kv.value)); // what compaction leaves
        assertThat(table.get("a")).isEqualTo(changed);
        assertThat(table).containsKey("b");
        assertThat(table.get("b")).as("delisted: a tombstone").isNull();
        assertThat(kept.get(2).value.getEmbedding()).hasSize(384);
        assertThat(sids.readKeyValuesToList()).extracting(kv -> kv.key).contains("a");
    }

    @Test
    void shouldSendEveryKindOfBadInputToTheDeadLetterTopicAndKeepGoing() {
        float[] nan = unitVector(3);
        nan[5] = Float.NaN;
        items.pipeInput("junk", "not avro at all".getBytes(StandardCharsets.UTF_8));
        items.pipeInput(
                "sid-bytes",
                Topics.ITEM_SIDS
                        .valueSerde()
                        .serializer()
                        .serialize(
                                "t",
                                ItemSid.newBuilder()
                                        .setItemId("x")
                                        .setSid(List.of(1, 2, 3, 0))
                                        .setModelVersion("m")
                                        .setContentHash("h")
                                        .setItemEventTime(Instant.EPOCH)
                                        .setAssignedAt(Instant.EPOCH)
                                        .build()));
        send(null, text("nokey", "No key (2000)"));
        send("other", text("k", "Key mismatch (2000)"));
        send("blank", text("blank", " "));
        send("long", text("long", "x".repeat(3_000)));
        send("dim", vector("dim", new float[] {1f, 2f, 3f}));
        send("nan", vector("nan", nan));
        send("good", text("good", "Gravity (2013)", "Sci-Fi"));
        flush();

        List<KeyValue<String, DeadLetter>> dead = dlq.readKeyValuesToList();
        assertThat(dead)
                .extracting(kv -> kv.value.getErrorClass())
                .containsExactly(
                        RejectReason.UNDECODABLE.name(),
                        RejectReason.UNKNOWN_SCHEMA_VERSION.name(),
                        RejectReason.MISSING_ID.name(),
                        RejectReason.KEY_MISMATCH.name(),
                        RejectReason.NO_CONTENT.name(),
                        RejectReason.TEXT_TOO_LONG.name(),
                        RejectReason.EMBEDDING_DIMENSION.name(),
                        RejectReason.NON_FINITE_EMBEDDING.name());
        DeadLetter first = dead.get(0).value;
        assertThat(first.getSourceTopic()).isEqualTo(Topics.ITEMS.name());
        assertThat(first.getOffset()).isZero();
        assertThat(first.getValue().array())
                .isEqualTo("not avro at all".getBytes(StandardCharsets.UTF_8));
        assertThat(dead.get(6).value.getReason())
                .contains("embedding has 3 dimensions, the model bundle expects 384");
        assertThat(dead.get(7).value.getOffset()).isEqualTo(7);
        assertThat(metrics.deadLetters(RejectReason.TEXT_TOO_LONG)).isEqualTo(1);

        assertThat(sids.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("good");
    }

    /**
     * Hostile input stops nothing: a 32-byte record claiming a 2 GiB string, and a record just
     * under the broker's default size limit (1,048,588 bytes), each become a dead letter that fits
     * the DLQ topic, and the next good item still gets its SID.
     */
    @Test
    void shouldDeadLetterBombsAndOversizedRecordsAndKeepAssigning() {
        byte[] valid = AvroSerdes.forType(ItemEvent.class).serialize("t", text("b1", "Bomb"));
        byte[] bomb = HostileRecords.stringLengthBomb(valid);
        items.pipeInput("bomb", bomb);
        byte[] huge =
                AvroSerdes.forType(ItemEvent.class)
                        .serialize("t", text("huge", "x".repeat(1_048_350)));
        assertThat(huge.length).isBetween(1_048_000, 1_048_588);
        items.pipeInput("huge", huge);
        send("good", text("good", "The Third Man (1949)", "Film-Noir"));
        flush();

        List<DeadLetter> letters = dlq.readValuesToList();
        assertThat(letters)
                .extracting(DeadLetter::getErrorClass)
                .containsExactly(
                        RejectReason.UNDECODABLE.name(), RejectReason.TEXT_TOO_LONG.name());
        DeadLetter bombLetter = letters.get(0);
        assertThat(bombLetter.getReason()).contains("claims 2147483639 bytes");
        assertThat(bombLetter.getValueSize()).isEqualTo(32);
        DeadLetter hugeLetter = letters.get(1);
        assertThat(hugeLetter.getValueTruncated()).isTrue();
        assertThat(hugeLetter.getValueSize()).isEqualTo(huge.length);
        assertThat(hugeLetter.getValueSha256()).isEqualTo(DeadLetters.sha256(huge));
        assertThat(hugeLetter.getOffset()).isEqualTo(1L);
        byte[] letterBytes = Topics.ITEMS_DLQ.valueSerde().serializer().serialize("t", hugeLetter);
        assertThat(letterBytes.length)
                .as("the letter fits the broker's default 1 MiB record limit")
                .isLessThan(100_000);
        assertThat(sids.readKeyValuesToMap()).containsKey("good");
    }
}
