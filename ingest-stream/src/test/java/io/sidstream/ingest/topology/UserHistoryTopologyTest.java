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
import io.sidstream.testkit.HostileRecords;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The production UserHistoryTopology under exactly-once, driven by TopologyTestDriver. */
class UserHistoryTopologyTest {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant T = NOW.minus(Duration.ofDays(1));

    private TopologyTestDriver driver;
    private SimpleMeterRegistry meters;
    private TestInputTopic<String, byte[]> events;
    private TestInputTopic<String, ItemSid> sids;
    private TestOutputTopic<String, UserHistory> histories;
    private TestOutputTopic<String, RetrievalRequest> requests;
    private TestOutputTopic<String, DeadLetter> dlq;

    @BeforeEach
    void start() {
        start(HistorySettings.RequestPolicy.EVERY_INTERACTION);
    }

    void start(HistorySettings.RequestPolicy policy) {
        if (driver != null) {
            driver.close();
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd-history");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        HistorySettings settings =
                new HistorySettings(
                        "ttd-history",
                        3,
                        Duration.ofHours(1),
                        Duration.ofMinutes(5),
                        Duration.ofMinutes(10),
                        Duration.ofSeconds(1),
                        EnumSet.of(InteractionType.RATING, InteractionType.PURCHASE),
                        policy,
                        50,
                        Duration.ofSeconds(5));
        meters = new SimpleMeterRegistry();
        driver =
                new TopologyTestDriver(
                        UserHistoryTopology.build(settings, "v", meters), props, NOW);
        events =
                driver.createInputTopic(
                        Topics.INTERACTIONS.name(),
                        new StringSerializer(),
                        new ByteArraySerializer());
        sids =
                driver.createInputTopic(
                        Topics.ITEM_SIDS.name(),
                        new StringSerializer(),
                        Topics.ITEM_SIDS.valueSerde().serializer());
        histories =
                driver.createOutputTopic(
                        Topics.USER_HISTORIES.name(),
                        Serdes.String().deserializer(),
                        Topics.USER_HISTORIES.valueSerde().deserializer());
        requests =
                driver.createOutputTopic(
                        Topics.RETRIEVAL_REQUESTS.name(),
                        Serdes.String().deserializer(),
                        Topics.RETRIEVAL_REQUESTS.valueSerde().deserializer());
        dlq =
                driver.createOutputTopic(
                        Topics.INTERACTIONS_DLQ.name(),
                        Serdes.String().deserializer(),
                        Topics.INTERACTIONS_DLQ.valueSerde().deserializer());
        for (int i = 0; i < 10; i++) {
            listItem("m" + i, List.of(i, i, i, 0));
        }
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    void listItem(String id, List<Integer> sid) {
        listItem(id, sid, "v");
    }

    void listItem(String id, List<Integer> sid, String bundle) {
        sids.pipeInput(
                id,
                ItemSid.newBuilder()
                        .setItemId(id)
                        .setSid(sid)
                        .setModelVersion(bundle)
                        .setContentHash("h")
                        .setItemEventTime(T)
                        .setAssignedAt(T)
                        .build());
    }

    void interact(String user, String eventId, String item, Instant at) {
        interact(user, eventId, item, at, InteractionType.RATING);
    }

    void interact(String user, String eventId, String item, Instant at, InteractionType type) {
        InteractionEvent e =
                InteractionEvent.newBuilder()
                        .setEventId(eventId)
                        .setUserId(user)
                        .setItemId(item)
                        .setEventType(type)
                        .setValue(8.0)
                        .setEventTime(at)
                        .build();
        events.pipeInput(user, Topics.INTERACTIONS.valueSerde().serializer().serialize("t", e));
    }

    List<String> lastHistoryItems() {
        List<UserHistory> all = histories.readValuesToList();
        assertThat(all).isNotEmpty();
        return all.get(all.size() - 1).getEntries().stream().map(HistoryEntry::getItemId).toList();
    }

    @Test
    void shouldOrderByEventTimeInsertingLateEventsInPlaceAndKeepTheNewestN() {
        interact("u", "e1", "m1", T.plusSeconds(10));
        interact("u", "e2", "m2", T.plusSeconds(30));
        interact("u", "e3", "m3", T.plusSeconds(20));
        assertThat(lastHistoryItems()).containsExactly("m1", "m3", "m2");
        interact("u", "e4", "m4", T.plusSeconds(40));
        assertThat(lastHistoryItems())
                .as("bounded to N=3, oldest dropped")
                .containsExactly("m3", "m2", "m4");
    }

    @Test
    void shouldRejectEventsBeyondTheLatenessBound() {
        interact("u", "e1", "m1", T.plusSeconds(7200));
        interact("u", "e2", "m2", T);
        assertThat(dlq.readValuesToList())
                .extracting(DeadLetter::getErrorClass)
                .containsExactly("TOO_LATE");
        assertThat(lastHistoryItems()).containsExactly("m1");
    }

    /** What an operator sees of the history builder: applied, waiting, late and timed out. */
    @Test
    void shouldCountAppliedWaitingDuplicateLateAndTimedOutInteractions() {
        interact("u", "e1", "m1", T.plusSeconds(7200));
        interact("u", "e1", "m1", T.plusSeconds(7200));
        interact("u", "e2", "m2", T);
        interact("v", "e3", "ghost", T);
        interact("v", "e4", "later", T);
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(meters.get("sidstream.history.applied").counter().count()).isEqualTo(1);
        assertThat(meters.get("sidstream.history.duplicates").counter().count()).isEqualTo(1);
        assertThat(meters.get("sidstream.history.deferred").counter().count()).isEqualTo(2);
        assertThat(meters.get("sidstream.history.pending").gauge().value()).isEqualTo(2);
        assertThat(meters.get("sidstream.history.dlq").tag("reason", "too_late").counter().count())
                .isEqualTo(1);

        listItem("later", List.of(7, 7, 7, 0));
        driver.advanceWallClockTime(Duration.ofMinutes(11));
        assertThat(meters.get("sidstream.history.applied").counter().count()).isEqualTo(2);
        assertThat(meters.get("sidstream.history.pending").gauge().value()).isZero();
        assertThat(
                        meters.get("sidstream.history.dlq")
                                .tag("reason", "sid_timeout")
                                .counter()
                                .count())
                .isEqualTo(1);
    }

    @Test
    void shouldApplyADuplicateEventOnlyOnce() {
        interact("u", "e1", "m1", T);
        interact("u", "e1", "m1", T);
        assertThat(histories.readValuesToList()).hasSize(1);
        assertThat(requests.readValuesToList()).hasSize(1);
    }

    @Test
    void shouldHoldAnInteractionUntilItsItemHasASidThenApplyIt() {
        interact("u", "e1", "new-item", T);
        assertThat(histories.isEmpty()).isTrue();
        listItem("new-item", List.of(7, 8, 9, 0));
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        UserHistory h = histories.readValue();
        assertThat(h.getEntries())
                .singleElement()
                .satisfies(
                        e -> {
                            assertThat(e.getItemId()).isEqualTo("new-item");
                            assertThat(e.getSid()).containsExactly(7, 8, 9, 0);
                        });
    }

    @Test
    void shouldDeadLetterAnInteractionWhoseItemNeverGetsASid() {
        interact("u", "e1", "ghost", T);
        driver.advanceWallClockTime(Duration.ofMinutes(11));
        DeadLetter letter = dlq.readValue();
        assertThat(letter.getErrorClass()).isEqualTo("SID_TIMEOUT");
        assertThat(letter.getReason()).contains("ghost");
        assertThat(letter.getValue()).isNotNull();
        assertThat(histories.isEmpty()).isTrue();
    }

    @Test
    void shouldEmitCurrentSidsAfterAnItemChangesAndDropDelistedItems() {
        interact("u", "e1", "m1", T);
        interact("u", "e2", "m2", T.plusSeconds(1));
        histories.readValuesToList();
        listItem("m1", List.of(99, 98, 97, 0));
        sids.pipeInput("m2", (ItemSid) null);
        interact("u", "e3", "m3", T.plusSeconds(2));
        UserHistory h = histories.readValue();
        assertThat(h.getEntries()).extracting(HistoryEntry::getItemId).containsExactly("m1", "m3");
        assertThat(h.getEntries().get(0).getSid()).containsExactly(99, 98, 97, 0);
    }

    /** A SID space belongs to one bundle: another bundle's SIDs never reach a history. */
    @Test
    void shouldResolveHistoriesOnlyThroughSidsOfThisInstancesBundle() {
        listItem("m1", List.of(50, 51, 52, 0), "other-bundle");
        listItem("only-other", List.of(60, 61, 62, 0), "other-bundle");
        interact("u", "e1", "m1", T);
        interact("u", "e2", "only-other", T.plusSeconds(1));
        UserHistory h = histories.readValue();
        assertThat(h.getEntries()).extracting(HistoryEntry::getItemId).containsExactly("m1");
        assertThat(h.getEntries().get(0).getSid())
                .as("m1 keeps the SID its own bundle gave it")
                .containsExactly(1, 1, 1, 0);
        assertThat(meters.get("sidstream.history.deferred").counter().count())
                .as("an item only another bundle has a SID for waits like an unknown one")
                .isEqualTo(1);
        assertThat(meters.get("sidstream.ingest.sid.index.foreign.bundle").counter().count())
                .isEqualTo(2);
    }

    @Test
    void shouldPublishARetrievalRequestCarryingTheHistory() {
        interact("u", "e1", "m1", T);
        interact("u", "e2", "m2", T.plusSeconds(1));
        List<RetrievalRequest> out = requests.readValuesToList();
        assertThat(out).hasSize(2);
        RetrievalRequest last = out.get(1);
        assertThat(last.getRequestId()).isEqualTo("u-e2");
        assertThat(last.getHistory())
                .extracting(HistoryEntry::getItemId)
                .containsExactly("m1", "m2");
        assertThat(last.getNumCandidates()).isEqualTo(50);
        assertThat(last.getExcludeSeen()).isTrue();
    }

    @Test
    void shouldPublishOneDebouncedRequestPerUserWithTheLatestHistory() {
        start(HistorySettings.RequestPolicy.DEBOUNCED);
        interact("u", "e1", "m1", T);
        interact("u", "e2", "m2", T.plusSeconds(1));
        interact("v", "e3", "m3", T);
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(requests.isEmpty()).as("still inside the debounce interval").isTrue();
        interact("u", "e4", "m4", T.plusSeconds(2));
        driver.advanceWallClockTime(Duration.ofSeconds(4));
        List<RetrievalRequest> out = requests.readValuesToList();
        assertThat(out).extracting(RetrievalRequest::getUserId).containsExactlyInAnyOrder("u", "v");
        RetrievalRequest u =
                out.stream().filter(r -> r.getUserId().equals("u")).findFirst().orElseThrow();
        assertThat(u.getHistory())
                .extracting(HistoryEntry::getItemId)
                .containsExactly("m1", "m2", "m4");
        driver.advanceWallClockTime(Duration.ofSeconds(10));
        assertThat(requests.isEmpty()).as("nothing new, nothing sent").isTrue();
    }

    @Test
    void shouldSkipInteractionTypesThatAreNotConfigured() {
        interact("u", "e1", "m1", T, InteractionType.VIEW);
        assertThat(histories.isEmpty()).isTrue();
        assertThat(dlq.isEmpty()).isTrue();
    }

    @Test
    void shouldSendBadInteractionsToTheDeadLetterTopicAndKeepGoing() {
        events.pipeInput("u", "garbage".getBytes(StandardCharsets.UTF_8));
        interact("u", "e1", " ", T);
        interact("u", "e2", "m1", NOW.plus(Duration.ofDays(2)));
        InteractionEvent mismatched =
                InteractionEvent.newBuilder()
                        .setEventId("e3")
                        .setUserId("someone-else")
                        .setItemId("m1")
                        .setEventType(InteractionType.RATING)
                        .setEventTime(T)
                        .build();
        events.pipeInput(
                "u", Topics.INTERACTIONS.valueSerde().serializer().serialize("t", mismatched));
        interact("u", "e4", "m4", T);
        assertThat(dlq.readValuesToList())
                .extracting(DeadLetter::getErrorClass)
                .containsExactly("UNDECODABLE", "MISSING_ITEM_ID", "FUTURE_EVENT", "KEY_MISMATCH");
        assertThat(lastHistoryItems()).containsExactly("m4");
    }

    /**
     * The control sequence of the report: e1 (3 h old; its item not listed yet) and then e2 (1 h
     * old; its item listed) arrive in that order, then e1's item is listed. e1 reached Kafka first
     * and was not late when it arrived, so it is applied in its place, before e2, not rejected
     * against e2 (the lateness bound here is 1 h).
     */
    @Test
    void shouldJudgeAWaitingInteractionByWhatWasAppliedWhenItArrived() {
        interact("u1", "e0", "m1", NOW.minus(Duration.ofHours(3)).minusSeconds(60));
        interact("u1", "e1", "late-listed", NOW.minus(Duration.ofHours(3)));
        interact("u1", "e2", "m2", NOW.minus(Duration.ofMinutes(30)));
        listItem("late-listed", List.of(7, 7, 7, 0));
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        assertThat(dlq.readValuesToList()).as("nothing dead-lettered").isEmpty();
        assertThat(lastHistoryItems()).containsExactly("m1", "late-listed", "m2");
    }

    /**
     * A replay whose SIDs arrive late: many users' interactions, in event-time order per user,
     * reach ingest before any of their items is listed; once the items are listed every history is
     * the last N of the user's interactions in time order, and nothing is TOO_LATE.
     */
    @Test
    void shouldLoseNothingWhenSidsArriveAfterTheirInteractions() {
        java.util.Random random = new java.util.Random(3);
        java.util.Map<String, java.util.List<String>> oracle = new java.util.LinkedHashMap<>();
        for (int e = 0; e < 8; e++) {
            for (int u = 0; u < 20; u++) {
                String user = "r" + u;
                boolean late = random.nextInt(3) == 0;
                String item = late ? "new-" + random.nextInt(6) : "m" + random.nextInt(10);
                // Up to 8 events a user, spread over 6 hours: beyond the 1 h lateness bound.
                interact(user, user + "-" + e, item, NOW.minus(Duration.ofHours(8 - e)));
                oracle.computeIfAbsent(user, k -> new java.util.ArrayList<>()).add(item);
            }
        }
        for (int i = 0; i < 6; i++) {
            listItem("new-" + i, List.of(20 + i, 1, 1, 0));
        }
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        assertThat(dlq.readValuesToList()).as("nothing dead-lettered").isEmpty();
        java.util.Map<String, UserHistory> latest = histories.readKeyValuesToMap();
        for (var e : oracle.entrySet()) {
            java.util.List<String> all = e.getValue();
            assertThat(latest.get(e.getKey()).getEntries())
                    .extracting(HistoryEntry::getItemId)
                    .as("history of %s", e.getKey())
                    .containsExactlyElementsOf(
                            all.subList(Math.max(0, all.size() - 3), all.size()));
        }
    }

    /** A 32-byte event claiming a 2 GiB string is dead-lettered; the next event still applies. */
    @Test
    void shouldDeadLetterTheStringLengthBombAndKeepApplying() {
        byte[] valid =
                Topics.INTERACTIONS
                        .valueSerde()
                        .serializer()
                        .serialize(
                                "t",
                                InteractionEvent.newBuilder()
                                        .setEventId("x")
                                        .setUserId("u9")
                                        .setItemId("m1")
                                        .setEventType(InteractionType.RATING)
                                        .setEventTime(NOW)
                                        .build());
        byte[] bomb = HostileRecords.stringLengthBomb(valid);
        events.pipeInput("u9", bomb);
        interact("u9", "ok", "m3", NOW);

        List<DeadLetter> letters = dlq.readValuesToList();
        assertThat(letters).extracting(DeadLetter::getErrorClass).containsExactly("UNDECODABLE");
        assertThat(letters.get(0).getReason()).contains("claims 2147483639 bytes");
        assertThat(lastHistoryItems()).containsExactly("m3");
    }
}
