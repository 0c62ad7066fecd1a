package io.sidstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.sidstream.datasets.Interaction;
import io.sidstream.retrieval.http.RetrievalClient;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's closing report: the next items of the most active users, asked of the retrieval HTTP
 * API with the history sent explicitly (leave-last-out, so the held-out item can be spotted), then
 * the first user again by id only, answered from the history ingest-stream stored.
 */
final class SampleUsersReport {
    private final RetrievalClient client;
    private final Map<String, String> titles;
    private final PrintStream out;

    SampleUsersReport(RetrievalClient client, Map<String, String> titles, PrintStream out) {
        this.client = client;
        this.titles = titles;
        this.out = out;
    }

    /** The {@code count} users with the most interactions (at least 5), most active first. */
    static List<Map.Entry<String, List<String>>> mostActive(
            List<Interaction> interactions, int count) {
        Map<String, List<String>> byUser = new LinkedHashMap<>();
        for (Interaction e : interactions) {
            byUser.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e.itemId());
        }
        return byUser.entrySet().stream()
                .filter(e -> e.getValue().size() >= 5)
                .sorted((a, b) -> b.getValue().size() - a.getValue().size())
                .limit(count)
                .toList();
    }

    /** Prints the report; returns how many held-out items were in their user's top 10. */
    int print(List<Interaction> interactions, int users) throws IOException, InterruptedException {
        List<Map.Entry<String, List<String>>> sample = mostActive(interactions, users);
        int hits = 0;
        for (Map.Entry<String, List<String>> user : sample) {
            List<String> seq = user.getValue();
            List<String> history = seq.subList(Math.max(0, seq.size() - 21), seq.size() - 1);
            String heldOut = seq.get(seq.size() - 1);
            RetrievalClient.Answer answer =
                    withPatience(
                            RetrievalClient.Query.forItems(user.getKey(), history, 10),
                            Duration.ofSeconds(60));
            out.printf(
                    Locale.ROOT,
                    "%nuser %s: last watched %s; held out: %s%n",
                    user.getKey(),
                    titles.get(history.get(history.size() - 1)),
                    titles.get(heldOut));
            hits += printOrSayWhy(answer, heldOut);
        }
        if (!sample.isEmpty()) {
            String user = sample.get(0).getKey();
            // By id needs ingest's stored history: a 5xx while it is not there yet is waited out.
            RetrievalClient.Answer byId =
                    withPatience(RetrievalClient.Query.forUser(user, 10), Duration.ofSeconds(60));
            out.printf(
                    Locale.ROOT,
                    "%nuser %s again, by id only (stored history from ingest-stream):%n",
                    user);
            printOrSayWhy(byId, null);
        }
        out.println();
        return hits;
    }

    /**
     * The answer to {@code query}, asked again while the server is busy (429: the demo's replay
     * fills the batches on a small machine) or not ready (5xx), for at most {@code patience}.
     */
    private RetrievalClient.Answer withPatience(RetrievalClient.Query query, Duration patience)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        RetrievalClient.Answer answer = client.recommend(query);
        while (!answer.ok()
                && (answer.status() == 429 || answer.status() >= 500)
                && System.nanoTime() < deadline) {
            Thread.sleep(500);
            answer = client.recommend(query);
        }
        return answer;
    }

    /** The candidates, or why there are none: never a silently empty list. */
    private int printOrSayWhy(RetrievalClient.Answer answer, String heldOut) {
        if (!answer.ok()) {
            out.println("  (no answer, HTTP " + answer.status() + ": " + answer.error() + ")");
            return 0;
        }
        return printCandidates(answer, heldOut);
    }

    private int printCandidates(RetrievalClient.Answer answer, String heldOut) {
        int rank = 1;
        int hits = 0;
        for (JsonNode c : answer.body().path("candidates")) {
            String id = c.path("itemId").asText();
            boolean hit = id.equals(heldOut);
            hits += hit ? 1 : 0;
            out.printf(
                    Locale.ROOT,
                    "  %2d. %-60s %s score %.2f%s%n",
                    rank++,
                    titles.getOrDefault(id, id),
                    c.path("sid"),
                    c.path("score").asDouble(),
                    hit ? "  <- held-out item" : "");
        }
        return hits;
    }
}
