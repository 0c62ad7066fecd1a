package io.sidstream.app.dashboard;

import io.sidstream.contracts.Topics;
import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's view of the topics, fed records directly (no broker: never started). */
class LiveViewTest {
    private final LiveView view = new LiveView("localhost:1", 3, 8);

    @AfterEach
    void close() {
        view.close();
    }

    private void list(String item, String title, long at) {
        view.apply(
                Topics.ITEMS.name(),
                item,
                ItemEvent.newBuilder()
                        .setItemId(item)
                        .setTitle(title)
                        .setCategories(List.of())
                        .setEventTime(Instant.ofEpochMilli(at))
                        .build(),
                at);
    }

    private void sid(String item, List<Integer> sid, long at) {
        view.apply(
                Topics.ITEM_SIDS.name(),
                item,
                sid == null
                        ? null
                        : ItemSid.newBuilder()
                                .setItemId(item)
                                .setSid(sid)
                                .setModelVersion("m")
                                .setContentHash("h")
                                .setItemEventTime(Instant.ofEpochMilli(at))
                                .setAssignedAt(Instant.ofEpochMilli(at))
                                .build(),
                at);
    }

    private void interact(String user, String item, long at) {
        view.apply(
                Topics.INTERACTIONS.name(),
                user,
                InteractionEvent.newBuilder()
                        .setEventId(user + item + at)
                        .setUserId(user)
                        .setItemId(item)
                        .setEventType(InteractionType.CLICK)
                        .setEventTime(Instant.ofEpochMilli(at))
                        .build(),
                at);
    }

    private void recommend(
            String user, String requestId, long requested, long completed, String... items) {
        view.apply(
                Topics.RECOMMENDATIONS.name(),
                user,
                Recommendations.newBuilder()
                        .setRequestId(requestId)
                        .setUserId(user)
                        .setCandidates(
                                java.util.Arrays.stream(items)
                                        .map(
                                                i ->
                                                        Candidate.newBuilder()
                                                                .setItemId(i)
                                                                .setSid(List.of(0, 0, 0, 0))
                                                                .setScore(-1)
                                                                .build())
                                        .toList())
                        .setExhausted(false)
                        .setModelVersion("m")
                        .setIndexVersion(1)
                        .setRequestedAt(Instant.ofEpochMilli(requested))
                        .setReceivedAt(Instant.ofEpochMilli(requested))
                        .setCompletedAt(Instant.ofEpochMilli(completed))
                        .build(),
                completed);
    }

    @Test
    void shouldTrackSidsCodebookUsageDiversityAndListingFreshness() {
        list("a", "Alpha", 1_000);
        list("b", "Beta", 1_000);
        sid("a", List.of(1, 2, 3, 0), 1_300);
        sid("b", List.of(1, 2, 3, 1), 1_700);
        assertThat(view.liveItems()).isEqualTo(2);
        // Two items, one semantic prefix: the collision code tells them apart.
        assertThat(view.diversity()).isEqualTo(0.5);
        assertThat(view.codeUsage()[0][1]).isEqualTo(2);
        assertThat(view.children(new int[] {1})).containsEntry(2, 2);
        assertThat(view.listedToSid().count()).isEqualTo(2);
        assertThat(view.listedToSid().max()).isEqualTo(700);

        sid("b", List.of(4, 5, 6, 0), 2_000); // moved: counted once, not as a new listing
        sid("a", null, 2_100); // delisted
        assertThat(view.liveItems()).isEqualTo(1);
        assertThat(view.codeUsage()[0][1]).isZero();
        assertThat(view.codeUsage()[0][4]).isEqualTo(1);
        assertThat(view.diversity()).isEqualTo(1.0);
        assertThat(view.listedToSid().count()).isEqualTo(2);
    }

    @Test
    void shouldMeasureFromTheLastInteractionBeforeTheRequestWhateverOrderTopicsAreReadIn() {
        // The recommendation is read before the interactions that caused it.
        recommend("u", "u-5000", 5_000, 5_400, "x");
        interact("u", "x", 1_000);
        interact("u", "y", 2_000);
        interact("u", "z", 9_000); // after the request: not its cause
        recommend("u", "3f1c-http", 9_500, 9_600, "x"); // an ad-hoc HTTP request: not counted
        Samples.Summary s = view.interactionToRecommendation();
        assertThat(s.count()).isEqualTo(1);
        assertThat(s.max()).isEqualTo(3_400);
        assertThat(view.topUsers(1).get(0)).isEqualTo(java.util.Map.entry("u", 3));
    }

    @Test
    void shouldReportColdStartItemsAndWhenTheyWereFirstRecommended() {
        list("old", "Old", 1_000);
        view.markColdStartFrom(5_000);
        list("new", "New", 6_000);
        list("newer", "Newer", 7_000);
        sid("new", List.of(1, 1, 1, 0), 6_200);
        recommend("u", "u-8000", 8_000, 8_100, "new", "old");
        recommend("v", "v-9000", 9_000, 9_100, "new");
        assertThat(view.coldStartCounts()).containsExactly(2, 1);
        List<LiveView.ColdStartItem> cold = view.coldStartItems(10);
        assertThat(cold).extracting(LiveView.ColdStartItem::itemId).containsExactly("newer", "new");
        assertThat(cold.get(1).firstRecommendedAt()).isEqualTo(8_100L);
        assertThat(cold.get(1).hasSid()).isTrue();
        assertThat(cold.get(0).firstRecommendedAt()).isNull();
        assertThat(view.title("new")).isEqualTo("New");
    }

    @Test
    void shouldReportRatesFromTheCountsOfTheLastSeconds() {
        assertThat(view.rates()).containsEntry(Topics.ITEMS.name(), 0.0);
        view.sample(10_000);
        for (int i = 0; i < 20; i++) {
            list("i" + i, "t" + i, i);
        }
        view.sample(12_000);
        assertThat(view.rates())
                .containsEntry(Topics.ITEMS.name(), 10.0)
                .containsEntry(Topics.INTERACTIONS.name(), 0.0);
        // Older snapshots leave the window: an idle view reads 0/s again.
        for (long t = 13_000; t <= 26_000; t += 1000) {
            view.sample(t);
        }
        assertThat(view.rates()).containsEntry(Topics.ITEMS.name(), 0.0);
    }

    /** One undecodable record on a topic is counted and skipped; the view keeps counting. */
    @Test
    void shouldKeepCountingAfterAnUndecodableRecord() {
        view.handle(Topics.ITEMS.name(), "junk".getBytes(), "not avro".getBytes(), 1);
        byte[] good =
                Topics.ITEMS
                        .valueSerde()
                        .serializer()
                        .serialize(
                                "t",
                                ItemEvent.newBuilder()
                                        .setItemId("i1")
                                        .setTitle("Good (2013)")
                                        .setCategories(List.of())
                                        .setEventTime(Instant.ofEpochMilli(2))
                                        .build());
        view.handle(Topics.ITEMS.name(), "i1".getBytes(), good, 2);
        assertThat(view.counts().get(Topics.ITEMS.name())).isEqualTo(2);
        assertThat(view.undecodable()).containsEntry(Topics.ITEMS.name(), 1L);
    }
}
