package io.sidstream.app;

import io.sidstream.contracts.Topics;
import io.sidstream.datasets.Interaction;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's last act: a new release is listed after the replay, people start watching it, and it
 * enters other users' recommendations through that activity alone (the live popularity prior: the
 * decoder has never seen it). Measures how long each step took. Runs once per work directory.
 */
final class FreshItemShowcase {
    static final String ITEM_ID = "demo-new-release";
    static final int WATCHERS = 300;
    static final int PROBES = 20;
    private static final Duration LIMIT = Duration.ofSeconds(30);

    /**
     * What happened.
     *
     * @param searchableSeconds from listing to being in the live index
     * @param firstSeconds from the first view to the first probe user with the item in the top 50;
     *     negative when it never got there within the limit
     * @param inTopTen probe users with it in their top 10 at the end
     * @param inTopFifty probe users with it in their top 50 at the end
     */
    record Result(
            double searchableSeconds,
            double firstSeconds,
            int inTopTen,
            int inTopFifty,
            int probes) {
        String line() {
            return String.format(
                    Locale.ROOT,
                    "fresh item: \"Gravity (2013)\" listed after the replay, searchable in %.1f s;"
                            + " %d people watched it; %s; now in the top 10 of %d and the top 50"
                            + " of %d of %d other users (from the most to the least active)",
                    searchableSeconds,
                    WATCHERS,
                    firstSeconds < 0
                            ? "it reached no top 50 within " + LIMIT.toSeconds() + " s"
                            : String.format(
                                    Locale.ROOT,
                                    "in a top 50 %.1f s after the first view",
                                    firstSeconds),
                    inTopTen,
                    inTopFifty,
                    probes);
        }
    }

    private FreshItemShowcase() {}

    /** Null when the item is already live (a resumed demo): it has been shown. */
    static Result run(String bootstrap, RetrievalService retrieval, List<Interaction> replayed)
            throws InterruptedException {
        if (retrieval.index().sidOf(ITEM_ID) != null || replayed.isEmpty()) {
            return null;
        }
        long last = replayed.stream().mapToLong(Interaction::timestampMillis).max().orElse(0);
        // The watchers are the most active users; the probes are spread over everyone else with
        // a history worth the name (5+ interactions), from the most to the least active.
        List<String> users =
                SampleUsersReport.mostActive(replayed, Integer.MAX_VALUE).stream()
                        .map(Map.Entry::getKey)
                        .toList();
        List<String> watchers = users.subList(0, Math.min(users.size(), WATCHERS));
        List<String> rest = users.subList(watchers.size(), users.size());
        List<String> probes = new ArrayList<>();
        for (int i = 0; i < PROBES && !rest.isEmpty(); i++) {
            String probe = rest.get((int) ((long) i * rest.size() / PROBES));
            if (!probes.contains(probe)) {
                probes.add(probe);
            }
        }

        long listed = System.nanoTime();
        try (KafkaProducer<String, ItemEvent> items = DemoKafka.producer(bootstrap, Topics.ITEMS)) {
            DemoKafka.send(
                    items,
                    Topics.ITEMS,
                    ITEM_ID,
                    ItemEvent.newBuilder()
                            .setItemId(ITEM_ID)
                            .setTitle("Gravity (2013)")
                            .setCategories(List.of("Sci-Fi", "Thriller", "Drama"))
                            .setEventTime(Instant.ofEpochMilli(last + 60_000))
                            .build());
        }
        long deadline = listed + LIMIT.toNanos();
        while (retrieval.index().sidOf(ITEM_ID) == null) {
            if (System.nanoTime() > deadline) {
                return new Result(-1, -1, 0, 0, probes.size());
            }
            Thread.sleep(50);
        }
        double searchable = (System.nanoTime() - listed) / 1e9;

        long firstView = System.nanoTime();
        try (KafkaProducer<String, InteractionEvent> events =
                DemoKafka.producer(bootstrap, Topics.INTERACTIONS)) {
            for (int i = 0; i < watchers.size(); i++) {
                String user = watchers.get(i);
                DemoKafka.send(
                        events,
                        Topics.INTERACTIONS,
                        user,
                        InteractionEvent.newBuilder()
                                .setEventId(user + "-" + ITEM_ID)
                                .setUserId(user)
                                .setItemId(ITEM_ID)
                                .setEventType(InteractionType.RATING)
                                .setValue(9.0)
                                .setEventTime(Instant.ofEpochMilli(last + 120_000 + i * 1_000L))
                                .build());
            }
        }
        RetrievalClient client = new RetrievalClient("http://localhost:" + retrieval.httpPort());
        double first = -1;
        deadline = firstView + LIMIT.toNanos();
        while (first < 0 && System.nanoTime() < deadline) {
            for (String user : probes) {
                if (rank(client, user) >= 0) {
                    first = (System.nanoTime() - firstView) / 1e9;
                    break;
                }
            }
            Thread.sleep(250);
        }
        if (first >= 0) {
            // Let the remaining views arrive, then count.
            Thread.sleep(3_000);
        }
        int topTen = 0;
        int topFifty = 0;
        for (String user : probes) {
            int rank = rank(client, user);
            topFifty += rank >= 0 ? 1 : 0;
            topTen += rank >= 0 && rank < 10 ? 1 : 0;
        }
        return new Result(searchable, first, topTen, topFifty, probes.size());
    }

    /** The item's place in the user's top 50, or -1. */
    private static int rank(RetrievalClient client, String user) {
        try {
            RetrievalClient.Answer a = client.recommend(RetrievalClient.Query.forUser(user, 50));
            return a.ok() ? a.itemIds().indexOf(ITEM_ID) : -1;
        } catch (Exception e) {
            return -1;
        }
    }
}
