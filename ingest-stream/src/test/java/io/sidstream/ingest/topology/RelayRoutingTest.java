package io.sidstream.ingest.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link InputRouting#RELAY} end to end in two TopologyTestDrivers: the at-least-once relay copies
 * the interactions with their source positions, and the exactly-once history owner applies each
 * source record once however often the relay delivers it.
 */
class RelayRoutingTest {
    static final String APP = "ttd-relay";
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant T = NOW.minus(Duration.ofDays(1));
    static final String RELAY_TOPIC =
            RelayTopology.relayTopic(APP, UserHistoryTopology.EVENTS_ROUTE);

    private TopologyTestDriver relay;
    private TopologyTestDriver owner;
    private SimpleMeterRegistry meters;
    private TestInputTopic<String, byte[]> events;
    private TestOutputTopic<String, byte[]> relayed;
    private TestInputTopic<String, byte[]> relayInput;
    private TestOutputTopic<String, UserHistory> histories;
    private TestOutputTopic<String, RetrievalRequest> requests;
    private TestOutputTopic<String, DeadLetter> dlq;

    @BeforeEach
    void start() {
        start(StreamsConfig.EXACTLY_ONCE_V2);
    }

    void start(String ownerGuarantee) {
        if (relay != null) {
            relay.close();
            owner.close();
        }
        Properties relayProps = props(APP + "-relay", StreamsConfig.AT_LEAST_ONCE);
        relay =
                new TopologyTestDriver(
                        RelayTopology.build(
                                APP,
                                List.of(
                                        new RelayTopology.Route(
                                                Topics.INTERACTIONS.name(),
                                                UserHistoryTopology.EVENTS_ROUTE))),
                        relayProps,
                        NOW);
        events =
                relay.createInputTopic(
                        Topics.INTERACTIONS.name(),
                        new StringSerializer(),
                        new ByteArraySerializer());
        relayed =
                relay.createOutputTopic(
                        RELAY_TOPIC, new StringDeserializer(), new ByteArrayDeserializer());

        HistorySettings settings =
                new HistorySettings(
                        APP,
                        3,
                        Duration.ofHours(1),
                        Duration.ofMinutes(5),
                        Duration.ofMinutes(10),
                        Duration.ofSeconds(1),
                        EnumSet.of(InteractionType.RATING),
                        HistorySettings.RequestPolicy.EVERY_INTERACTION,
                        50,
                        Duration.ofSeconds(5));
        meters = new SimpleMeterRegistry();
        StreamsBuilder builder = new StreamsBuilder();
        UserHistoryTopology.addTo(builder, settings, "v", InputRouting.RELAY, 0, meters);
        owner = new TopologyTestDriver(builder.build(), props(APP, ownerGuarantee), NOW);
        relayInput =
                owner.createInputTopic(
                        RELAY_TOPIC, new StringSerializer(), new ByteArraySerializer());
        TestInputTopic<String, ItemSid> sids =
                owner.createInputTopic(
                        Topics.ITEM_SIDS.name(),
                        new StringSerializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer());
        for (int i = 0; i < 10; i++) {
            sids.pipeInput(
                    "m" + i,
                    ItemSid.newBuilder()
                            .setItemId("m" + i)
                            .setSid(List.of(i, i, i, 0))
                            .setModelVersion("v")
                            .setContentHash("h")
                            .setItemEventTime(T)
                            .setAssignedAt(T)
                            .build());
        }
        histories =
                owner.createOutputTopic(
                        Topics.USER_HISTORIES.name(),
                        Serdes.String().deserializer(),
                        Topics.USER_HISTORIES.valueSerde().deserializer());
        requests =
                owner.createOutputTopic(
                        Topics.RETRIEVAL_REQUESTS.name(),
                        Serdes.String().deserializer(),
                        Topics.RETRIEVAL_REQUESTS.valueSerde().deserializer());
        dlq =
                owner.createOutputTopic(
                        Topics.INTERACTIONS_DLQ.name(),
                        Serdes.String().deserializer(),
                        Topics.INTERACTIONS_DLQ.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        relay.close();
        owner.close();
    }

    private static Properties props(String applicationId, String guarantee) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        return props;
    }

    private static byte[] event(String user, String eventId, String item, Instant at) {
        InteractionEvent e =
                InteractionEvent.newBuilder()
                        .setEventId(eventId)
                        .setUserId(user)
                        .setItemId(item)
                        .setEventType(InteractionType.RATING)
                        .setValue(8.0)
                        .setEventTime(at)
                        .build();
        return Topics.INTERACTIONS.valueSerde().serializer().serialize("t", e);
    }

    /** What the relay wrote since the last call, each record with its headers. */
    private List<TestRecord<String, byte[]>> drainRelay() {
        return relayed.readRecordsToList();
    }

    private void deliver(List<TestRecord<String, byte[]>> records) {
        for (TestRecord<String, byte[]> r : records) {
            relayInput.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), r.timestamp()));
        }
    }

    private static long header(TestRecord<String, byte[]> r, String name) {
        byte[] value = r.headers().lastHeader(name).value();
        return value.length == 4
                ? ByteBuffer.wrap(value).getInt()
                : ByteBuffer.wrap(value).getLong();
    }

    @Test
    void shouldApplyEveryRecordOnceWhenTheRelayDeliversItAgain() {
        // Five interactions of one user, one too late, with a history of three: a replay would
        // re-insert the aged-out ones and dead-letter the late one again if positions were not
        // kept (the event-id check only sees the kept three).
        events.pipeInput("u", event("u", "e1", "m1", T.plusSeconds(7200)));
        events.pipeInput("u", event("u", "e2", "m2", T.plusSeconds(7210)));
        events.pipeInput("u", event("u", "late", "m9", T));
        events.pipeInput("u", event("u", "e3", "m3", T.plusSeconds(7220)));
        events.pipeInput("u", event("u", "e4", "m4", T.plusSeconds(7230)));
        events.pipeInput("u", event("u", "e5", "m5", T.plusSeconds(7240)));
        List<TestRecord<String, byte[]>> copies = drainRelay();
        assertThat(copies).hasSize(6);
        assertThat(copies)
                .extracting(r -> header(r, "sidstream.source.offset"))
                .containsExactly(0L, 1L, 2L, 3L, 4L, 5L);

        deliver(copies);
        List<UserHistory> first = histories.readValuesToList();
        assertThat(first).hasSize(5);
        assertThat(first.get(4).getEntries())
                .extracting(HistoryEntry::getItemId)
                .containsExactly("m3", "m4", "m5");
        assertThat(requests.readValuesToList()).hasSize(5);
        assertThat(dlq.readValuesToList())
                .extracting(DeadLetter::getErrorClass)
                .containsExactly("TOO_LATE");

        // The relay crashed before committing: it copies everything again, then a new record.
        deliver(copies);
        deliver(copies.subList(2, 6));
        events.pipeInput("u", event("u", "e0", "m0", T.plusSeconds(7250)));
        deliver(drainRelay());
        List<UserHistory> after = histories.readValuesToList();
        assertThat(after).as("only the new record changed the history").hasSize(1);
        assertThat(after.get(0).getEntries())
                .extracting(HistoryEntry::getItemId)
                .containsExactly("m4", "m5", "m0");
        assertThat(requests.readValuesToList()).hasSize(1);
        assertThat(dlq.readValuesToList()).as("no second dead letter").isEmpty();
        assertThat(meters.get("sidstream.ingest.relay.replays").counter().count()).isEqualTo(10);
    }

    /**
     * Under at_least_once a position restored from the changelog can be ahead of outputs that never
     * landed, so replays must reach the owner, whose event-id check absorbs them.
     */
    @Test
    void shouldLeaveReplaysToTheOwnersIdempotenceUnderAtLeastOnce() {
        start(StreamsConfig.AT_LEAST_ONCE);
        TestRecord<String, byte[]> copy =
                new TestRecord<>("u", event("u", "a", "m1", T), positionHeaders(0, 5), NOW);
        relayInput.pipeInput(copy);
        relayInput.pipeInput(
                new TestRecord<>("u", event("u", "a", "m1", T), positionHeaders(0, 5), NOW));
        assertThat(histories.readValuesToList()).hasSize(1);
        assertThat(meters.get("sidstream.ingest.relay.replays").counter().count()).isZero();
        assertThat(meters.get("sidstream.history.duplicates").counter().count()).isEqualTo(1);
    }

    @Test
    void shouldKeepPositionsPerSourcePartitionAndPassRecordsWithoutOne() {
        relayInput.pipeInput(
                new TestRecord<>("u", event("u", "a", "m1", T), positionHeaders(0, 5), NOW));
        relayInput.pipeInput(
                new TestRecord<>("u", event("u", "b", "m2", T), positionHeaders(1, 0), NOW));
        relayInput.pipeInput(new TestRecord<>("u", event("u", "c", "m3", T), NOW));
        relayInput.pipeInput(
                new TestRecord<>("u", event("u", "d", "m4", T), positionHeaders(0, 4), NOW));
        List<UserHistory> all = histories.readValuesToList();
        assertThat(all.get(all.size() - 1).getEntries())
                .as("offset 0 of another partition, and a record without a position, apply")
                .extracting(HistoryEntry::getItemId)
                .containsExactlyInAnyOrder("m1", "m2", "m3");
    }

    @Test
    void shouldStampTheRealPositionOverOneAProducerCopiedIn() {
        // A dead letter re-produced with its headers carries a stale position: kept, it would
        // make the owner drop this record as already applied.
        events.pipeInput(new TestRecord<>("u", event("u", "e1", "m1", T), NOW));
        events.pipeInput(
                new TestRecord<>("u", event("u", "e2", "m2", T), positionHeaders(0, 999), NOW));
        List<TestRecord<String, byte[]>> copies = drainRelay();
        assertThat(copies)
                .extracting(r -> header(r, "sidstream.source.offset"))
                .containsExactly(0L, 1L);
        assertThat(copies.get(1).headers().headers("sidstream.source.offset")).hasSize(1);
        deliver(copies);
        List<UserHistory> all = histories.readValuesToList();
        assertThat(all.get(all.size() - 1).getEntries())
                .extracting(HistoryEntry::getItemId)
                .containsExactly("m1", "m2");
    }

    @Test
    void shouldGiveARecordWithoutAKeyToItsOwnerAsAMissingId() {
        events.pipeInput((String) null, event("u", "e1", "m1", T));
        deliver(drainRelay());
        assertThat(dlq.readValuesToList())
                .extracting(DeadLetter::getErrorClass)
                .containsExactly("MISSING_ID");
    }

    private static RecordHeaders positionHeaders(int partition, long offset) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(
                "sidstream.source.topic",
                Topics.INTERACTIONS.name().getBytes(StandardCharsets.UTF_8));
        headers.add("sidstream.source.partition", ByteBuffer.allocate(4).putInt(partition).array());
        headers.add("sidstream.source.offset", ByteBuffer.allocate(8).putLong(offset).array());
        return headers;
    }
}
