package io.sidstream.app;

import io.sidstream.contracts.Topics;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.testkit.kafka.KafkaClusterExtension;
import io.sidstream.testkit.kafka.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo end to end on the bundled data (a slice, for time): first run serving, with the
 * published topics checked and the dashboard driven by headless Chromium; then a stop and a rerun
 * on the same work directory, which must resume instead of starting over.
 */
@Tag("integration")
@Timeout(600)
@ExtendWith(KafkaClusterExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalDemoIT {
    private static final int ITEMS = 1500;
    static final Path WORK = Path.of("target", "demo-it-work");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private static String[] args(KafkaCluster cluster, String... more) {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "--data-dir",
                                "../data/movietweetings-100k",
                                "--bundle",
                                "../models/default",
                                "--bootstrap-servers",
                                cluster.bootstrapServers(),
                                "--work-dir",
                                WORK.toString(),
                                "--items",
                                Integer.toString(ITEMS),
                                "--limit",
                                "5000",
                                "--dashboard-port",
                                "0"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    @Order(1)
    void shouldServeRecommendationsForLiveItemsAndShowThemOnTheDashboard(KafkaCluster cluster)
            throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread demo =
                new Thread(
                        () -> {
                            try {
                                exit.set(
                                        LocalDemo.run(
                                                DemoOptions.parse(args(cluster, "--fresh")),
                                                new PrintStream(out, true, StandardCharsets.UTF_8),
                                                stopping));
                            } catch (Exception e) {
                                e.printStackTrace(
                                        new PrintStream(out, true, StandardCharsets.UTF_8));
                            }
                        },
                        "demo");
        demo.start();
        try {
            String dashboard = awaitServing(out, demo);
            String stdout = out.toString(StandardCharsets.UTF_8);
            assertThat(stdout)
                    // The catalog and the new release the demo lists after its replay.
                    .contains("items with a SID in the live index=" + (ITEMS + 1) + ", ")
                    .contains(
                            "fresh item: \"Gravity (2013)\" listed after the replay, searchable in")
                    .contains("sample users=3");
            // Sample users printed with catalog titles: an id that maps to no listed item would
            // print as a raw 7-digit id instead.
            List<String> ranked =
                    stdout.lines().filter(l -> l.matches("\\s+\\d+\\. .*score.*")).toList();
            assertThat(ranked)
                    .as(stdout)
                    .hasSize(40)
                    .noneMatch(l -> l.matches("\\s+\\d+\\. \\d{7} .*"));

            assertEveryListedItemHasASidAndEveryRecommendationIsLive(cluster);
            assertRecommendationsByUserIdUseTheStoredHistory(stdout);
            dashboardApiTellsTheTruth(dashboard);
            browseTheDashboard(dashboard);
            scriptAgainstTheRunningDemo(cluster, stdout);
        } finally {
            stopping.set(true);
            demo.join(TimeUnit.SECONDS.toMillis(90));
        }
        assertThat(demo.isAlive()).isFalse();
        assertThat(exit.get()).as(out.toString(StandardCharsets.UTF_8)).isZero();
    }

    @Test
    @Order(2)
    void shouldResumeFromTheWorkDirectoryInsteadOfReplayingAgain(KafkaCluster cluster)
            throws Exception {
        Assumptions.assumeTrue(Files.exists(WORK.resolve("progress.properties")));
        long itemsBefore = count(cluster, Topics.ITEMS.name());
        long interactionsBefore = count(cluster, Topics.INTERACTIONS.name());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit =
                SidstreamMain.run(
                        Stream.concat(Stream.of("demo"), Stream.of(args(cluster, "--no-serve")))
                                .toArray(String[]::new),
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(out, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(stdout).isZero();
        assertThat(stdout).contains("(resuming: ");
        assertThat(count(cluster, Topics.ITEMS.name())).isEqualTo(itemsBefore);
        assertThat(count(cluster, Topics.INTERACTIONS.name())).isEqualTo(interactionsBefore);
        // The two items the first run's `produce` added are live too.
        assertThat(stdout).contains("items with a SID in the live index=" + (ITEMS + 3) + ", ");
        assertThat(stdout).as("the new release is shown once").doesNotContain("fresh item:");
    }

    @Test
    void shouldReportAllUsageProblemsAtOnce() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit =
                SidstreamMain.run(
                        new String[] {
                            "demo", "--limit", "x", "--bogus", "--data-dir", "/nonexistent"
                        },
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("--limit needs a non-negative integer")
                .contains("unknown option --bogus")
                .contains("is not a directory");
    }

    /** The scripting commands against the running demo: produce, tail, recommend. */
    private static void scriptAgainstTheRunningDemo(KafkaCluster cluster, String demoOutput)
            throws Exception {
        Path items = Path.of("target", "demo-it-new-items.jsonl");
        Files.writeString(
                items,
                "{\"itemId\":\"9900001\",\"title\":\"A Brand New Space Western (2026)\","
                        + "\"categories\":[\"Sci-Fi\",\"Western\"]}\n"
                        + "{\"itemId\":\"9900002\",\"title\":\"Another New Heist Comedy (2026)\","
                        + "\"categories\":[\"Comedy\",\"Crime\"]}\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        String bootstrap = cluster.bootstrapServers();
        assertThat(
                        SidstreamMain.run(
                                new String[] {
                                    "produce",
                                    "items",
                                    items.toString(),
                                    "--bootstrap-servers",
                                    bootstrap
                                },
                                print,
                                print))
                .as(out.toString(StandardCharsets.UTF_8))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("produced 2 records to items.raw.v1");

        // Both new items get SIDs, seen through `tail` as Avro JSON.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String sids = "";
        while (System.nanoTime() < deadline
                && !(sids.contains("\"itemId\":\"9900001\"")
                        && sids.contains("\"itemId\":\"9900002\""))) {
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            PrintStream tailOut = new PrintStream(tail, true, StandardCharsets.UTF_8);
            assertThat(
                            SidstreamMain.run(
                                    new String[] {
                                        "tail",
                                        "items.sid.v1",
                                        "--from-beginning",
                                        // More than the topic holds: returns once caught up.
                                        "--max",
                                        "100000000",
                                        "--bootstrap-servers",
                                        bootstrap
                                    },
                                    tailOut,
                                    tailOut))
                    .isZero();
            sids = tail.toString(StandardCharsets.UTF_8);
        }
        assertThat(sids).contains("\"itemId\":\"9900001\"").contains("\"itemId\":\"9900002\"");
        String first = sids.lines().findFirst().orElseThrow();
        assertThat(
                        new com.fasterxml.jackson.databind.ObjectMapper()
                                .readTree(first)
                                .path("value")
                                .path("sid")
                                .size())
                .isEqualTo(4);

        Matcher retrieval =
                Pattern.compile("retrieval-server: POST (http://localhost:\\d+)/")
                        .matcher(demoOutput);
        assertThat(retrieval.find()).isTrue();
        ByteArrayOutputStream recs = new ByteArrayOutputStream();
        PrintStream recsOut = new PrintStream(recs, true, StandardCharsets.UTF_8);
        String user = sids.isEmpty() ? "" : mostActiveUserOf(demoOutput);
        assertThat(
                        SidstreamMain.run(
                                new String[] {
                                    "recommend",
                                    user,
                                    "--k",
                                    "5",
                                    "--url",
                                    retrieval.group(1),
                                    "--work-dir",
                                    WORK.toString()
                                },
                                recsOut,
                                recsOut))
                .as(recs.toString(StandardCharsets.UTF_8))
                .isZero();
        assertThat(
                        new com.fasterxml.jackson.databind.ObjectMapper()
                                .readTree(recs.toString(StandardCharsets.UTF_8))
                                .path("candidates")
                                .size())
                .isEqualTo(5);
        // Titles from the catalog of the demo found through --work-dir.
        assertThat(
                        new com.fasterxml.jackson.databind.ObjectMapper()
                                .readTree(recs.toString(StandardCharsets.UTF_8))
                                .path("candidates"))
                .allSatisfy(c -> assertThat(c.path("title").asText()).isNotBlank());
    }

    /**
     * {@code POST /recommendations {"userId"}} decodes from the history ingest-stream stored: it
     * equals the answer for the same history sent explicitly, two users with different histories
     * get different lists, an unknown user is a 404 unless a cold-start answer is asked for, and
     * malformed requests are refused in the API's own terms.
     */
    private static void assertRecommendationsByUserIdUseTheStoredHistory(String demoOutput)
            throws Exception {
        Matcher urls =
                Pattern.compile("ingest-stream:\\s+(http://localhost:\\d+)/").matcher(demoOutput);
        assertThat(urls.find()).isTrue();
        String ingest = urls.group(1);
        Matcher r =
                Pattern.compile("retrieval-server: POST (http://localhost:\\d+)/")
                        .matcher(demoOutput);
        assertThat(r.find()).isTrue();
        io.sidstream.retrieval.http.RetrievalClient client =
                new io.sidstream.retrieval.http.RetrievalClient(r.group(1));
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        Matcher users = Pattern.compile("(?m)^user (\\S+): last watched").matcher(demoOutput);
        List<List<String>> lists = new java.util.ArrayList<>();
        while (users.find()) {
            String user = users.group(1);
            var stored =
                    java.net.http.HttpClient.newHttpClient()
                            .send(
                                    java.net.http.HttpRequest.newBuilder(
                                                    java.net.URI.create(
                                                            ingest + "/users/" + user + "/history"))
                                            .build(),
                                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
            List<String> history =
                    json.readTree(stored.body()).path("entries").findValuesAsText("itemId");
            assertThat(history).isNotEmpty();
            var byId =
                    client.recommend(
                            io.sidstream.retrieval.http.RetrievalClient.Query.forUser(user, 10));
            assertThat(byId.status()).as(byId.raw()).isEqualTo(200);
            assertThat(byId.body().path("historySource").asText()).isEqualTo("stored");
            assertThat(byId.body().path("historyLength").asInt()).isEqualTo(history.size());
            var explicit =
                    client.recommend(
                            io.sidstream.retrieval.http.RetrievalClient.Query.forItems(
                                    user, history, 10));
            assertThat(byId.itemIds())
                    .as("by id equals the same history sent explicitly, for %s", user)
                    .isEqualTo(explicit.itemIds())
                    .doesNotContainAnyElementsOf(history);
            lists.add(byId.itemIds());
        }
        assertThat(lists).hasSize(3);
        assertThat(lists.get(0)).as("two users, two lists").isNotEqualTo(lists.get(1));

        var unknown =
                client.recommend(
                        io.sidstream.retrieval.http.RetrievalClient.Query.forUser("nobody-xyz", 5));
        assertThat(unknown.status()).isEqualTo(404);
        var cold = client.post("{\"userId\":\"nobody-xyz\",\"k\":5,\"coldStart\":true}");
        assertThat(cold.status()).as(cold.raw()).isEqualTo(200);
        assertThat(cold.itemIds()).hasSize(5);

        assertThat(client.post("").status()).isEqualTo(400);
        assertThat(client.post("[1,2,3]").error()).contains("must be a JSON object");
        assertThat(client.post("5").status()).isEqualTo(400);
        assertThat(client.post("{\"userId\":\"u\",\"k\":\"ten\"}").error())
                .contains("k must be an integer");
        assertThat(client.post("{\"userId\":\"u\",\"beamWidth\":1.5}").error())
                .contains("beamWidth must be an integer");
        assertThat(client.post("{\"userId\":\"u\",\"beam\":8}").error())
                .contains("unknown field(s) [beam]");
        StringBuilder many = new StringBuilder("{\"userId\":\"u\",\"items\":[");
        for (int i = 0; i < 5_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"id-").append(i).append('"');
        }
        var tooMany = client.post(many.append("]}").toString());
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.raw().length()).as("errors do not echo the input").isLessThan(500);
        assertThat(client.post("{\"userId\":\"" + "x".repeat(2 << 20) + "\"}").status())
                .isEqualTo(413);
    }

    private static String mostActiveUserOf(String demoOutput) {
        Matcher m = Pattern.compile("(?m)^user (\\S+): last watched").matcher(demoOutput);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static String awaitServing(ByteArrayOutputStream out, Thread demo)
            throws InterruptedException {
        Pattern serving = Pattern.compile("serving; dashboard at (http://\\S+)");
        long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        while (System.nanoTime() < deadline && demo.isAlive()) {
            Matcher m = serving.matcher(out.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the demo never started serving:\n" + out);
    }

    private static void assertEveryListedItemHasASidAndEveryRecommendationIsLive(
            KafkaCluster cluster) {
        Map<String, ItemSid> sids = new HashMap<>();
        for (ConsumerRecord<String, ItemSid> r : readAll(cluster, Topics.ITEM_SIDS)) {
            sids.put(r.key(), r.value());
        }
        sids.values().removeIf(v -> v == null);
        assertThat(sids).hasSize(ITEMS + 1).containsKey(FreshItemShowcase.ITEM_ID);
        Set<String> usersWithHistory = new HashSet<>();
        readAll(cluster, Topics.INTERACTIONS).forEach(r -> usersWithHistory.add(r.key()));
        // Requests follow histories with a debounce, so their results may still be arriving when
        // the demo says "serving": wait for the condition rather than read once.
        List<ConsumerRecord<String, Recommendations>> recs =
                readAll(cluster, Topics.RECOMMENDATIONS);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (recs.stream().map(ConsumerRecord::key).distinct().count() <= 100
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            recs = readAll(cluster, Topics.RECOMMENDATIONS);
        }
        Set<String> recommendedUsers = new HashSet<>();
        for (ConsumerRecord<String, Recommendations> r : recs) {
            recommendedUsers.add(r.key());
            assertThat(r.value().getCandidates()).isNotEmpty();
            for (Candidate c : r.value().getCandidates()) {
                assertThat(sids)
                        .as("recommended item %s", c.getItemId())
                        .containsKey(c.getItemId());
                assertThat(c.getSid()).isEqualTo(sids.get(c.getItemId()).getSid());
            }
        }
        // Published for users as their histories changed (the debounced request policy), not
        // only for the three sample users asked over HTTP.
        assertThat(recommendedUsers).hasSizeGreaterThan(100);
        assertThat(usersWithHistory).containsAll(recommendedUsers);
    }

    /**
     * The dashboard's API: real rates and the services' consumer lag in the summary, and the user
     * page's sentence box steering live recommendations.
     */
    private static void dashboardApiTellsTheTruth(String dashboard)
            throws IOException, InterruptedException {
        com.fasterxml.jackson.databind.ObjectMapper json =
                new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode summary =
                json.readTree(get(dashboard + "api/summary"));
        assertThat(summary.path("rates").has(Topics.RECOMMENDATIONS.name())).isTrue();
        assertThat(summary.path("demo").path("freshItem").asText()).startsWith("fresh item:");
        assertThat(summary.path("lag").path("ingest").isNumber())
                .as("ingest lag from its metrics: %s", summary.path("lag"))
                .isTrue();
        assertThat(summary.path("lag").path("requests").isNumber()).isTrue();
        String user = mostActiveUser(dashboard);
        com.fasterxml.jackson.databind.JsonNode steered =
                json.readTree(
                        get(
                                dashboard
                                        + "api/users/"
                                        + java.net.URLEncoder.encode(
                                                user, java.nio.charset.StandardCharsets.UTF_8)
                                        + "?text=animated+family+films&weight=4"));
        assertThat(steered.path("recommendations").path("query").path("sidPrefix"))
                .as("steered recommendations: %s", steered)
                .hasSize(3);
        assertThat(steered.path("recommendations").path("candidates")).isNotEmpty();
    }

    private static String get(String url) throws IOException, InterruptedException {
        return java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private void browseTheDashboard(String dashboard) throws IOException, InterruptedException {
        Path chromium =
                Stream.of("chromium", "chromium-browser", "google-chrome")
                        .flatMap(
                                name ->
                                        Stream.of(
                                                        System.getenv()
                                                                .getOrDefault("PATH", "")
                                                                .split(":"))
                                                .map(d -> Path.of(d, name)))
                        .filter(Files::isExecutable)
                        .findFirst()
                        .orElse(null);
        Assumptions.assumeTrue(
                chromium != null,
                "no Chromium: scripts/install-prereqs.sh --browser installs Debian's chromium");
        Files.createDirectories(SCREENSHOTS);
        String user = mostActiveUser(dashboard);
        String page = dashboard + "#user=" + user;
        String dom = chromium(chromium, page, "--dump-dom");
        chromium(
                chromium,
                page,
                "--screenshot=" + SCREENSHOTS.resolve("dashboard-user.png").toAbsolutePath());
        chromium(
                chromium,
                dashboard,
                "--screenshot=" + SCREENSHOTS.resolve("dashboard-overview.png").toAbsolutePath());

        List<String> titles = new ArrayList<>();
        Matcher rec =
                Pattern.compile("<li class=\"rec\"><span class=\"title\">([^<]*)</span>")
                        .matcher(dom);
        while (rec.find()) {
            titles.add(rec.group(1));
        }
        assertThat(dom).contains("User " + user);
        assertThat(titles)
                .as("recommendations with titles on the user page:\n%s", dom)
                .hasSizeGreaterThanOrEqualTo(5)
                .allMatch(t -> !t.isBlank() && !t.matches("\\d{7}"));
        assertThat(Files.size(SCREENSHOTS.resolve("dashboard-user.png"))).isGreaterThan(10_000);
        assertThat(Files.size(SCREENSHOTS.resolve("dashboard-overview.png"))).isGreaterThan(10_000);
    }

    private static String mostActiveUser(String dashboard)
            throws IOException, InterruptedException {
        var response =
                java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(
                                                java.net.URI.create(dashboard + "api/users"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("\"userId\":\"([^\"]+)\"").matcher(response.body());
        assertThat(m.find()).as(response.body()).isTrue();
        return m.group(1);
    }

    /** Headless Chromium with virtual time, so the page's fetches finish before the capture. */
    private static String chromium(Path chromium, String url, String action)
            throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder(
                                chromium.toString(),
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--window-size=1280,1600",
                                "--virtual-time-budget=15000",
                                action,
                                url)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("chromium %s", action).isZero();
        return stdout;
    }

    private static <V> List<ConsumerRecord<String, V>> readAll(
            KafkaCluster cluster, io.sidstream.contracts.TopicSpec<String, V> spec) {
        return TopicReader.readAll(
                cluster,
                spec.name(),
                spec.keySerde().deserializer(),
                spec.valueSerde().deserializer(),
                Duration.ofSeconds(60));
    }

    private static long count(KafkaCluster cluster, String topic) {
        return TopicReader.readAll(
                        cluster,
                        topic,
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                        Duration.ofSeconds(60))
                .size();
    }
}
