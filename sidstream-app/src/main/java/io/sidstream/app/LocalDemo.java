package io.sidstream.app;

import io.sidstream.app.dashboard.DashboardServer;
import io.sidstream.app.dashboard.LiveView;
import io.sidstream.contracts.Topics;
import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import io.sidstream.ingest.IngestConfig;
import io.sidstream.ingest.IngestService;
import io.sidstream.ingest.IngestSetting;
import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import io.sidstream.platform.settings.Setting;
import io.sidstream.platform.settings.SettingsReader;
import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import io.sidstream.retrieval.RetrievalSetting;
import io.sidstream.retrieval.http.RetrievalClient;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.ItemEvent;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code sidstream demo}: the whole system on one machine, through the production code paths. An
 * in-process KRaft broker (or {@code --bootstrap-servers}), the catalogued topics, ingest-stream
 * and retrieval-server in this JVM, a live dashboard, then the demo data: the catalog as item
 * events (every item gets its SID and enters the live index), the interactions in time order (with
 * the items first seen late in the data listed only then, as cold-start items), and
 * recommendations: published for users as their histories change, and printed with titles for a few
 * real users. Everything lives in a work directory; a rerun resumes where the last one stopped.
 */
final class LocalDemo {
    private static final int SAMPLE_USERS = 3;
    private static final String INGEST_APP = "sidstream-demo-ingest";
    private static final String RETRIEVAL_APP = "sidstream-demo-retrieval";

    private LocalDemo() {}

    /** Runs until done ({@code --no-serve}) or until Ctrl-C / SIGTERM, then closes in order. */
    static int run(DemoOptions options, PrintStream out) throws IOException, InterruptedException {
        // Ctrl-C: stop producing, save progress, close everything in order, then let the JVM go.
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook =
                new Thread(
                        () -> {
                            stopping.set(true);
                            try {
                                closed.await(60, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run(options, out, stopping);
        } finally {
            closed.countDown();
            if (!stopping.get()) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
    }

    /** Runs until done ({@code --no-serve}) or until {@code stopping} is set. */
    static int run(DemoOptions options, PrintStream out, AtomicBoolean stopping)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Path work = options.workDir().toAbsolutePath().normalize();
        if (options.fresh()) {
            deleteRecursively(work);
        }
        Files.createDirectories(work);
        DemoProgress progress = DemoProgress.load(work, options.runKey());
        out.println(
                progress.isNew()
                        ? "work directory: " + work + " (new run)"
                        : "work directory: "
                                + work
                                + " (resuming: "
                                + progress.replayed
                                + " interactions replayed before; --fresh starts over)");
        KafkaCluster embedded = null;
        try {
            String bootstrap = options.bootstrapServers();
            if (bootstrap == null) {
                out.println("starting embedded Kafka broker (KRaft, loopback only) ...");
                embedded = EmbeddedKraftCluster.startPersistent(work.resolve("kafka"));
                bootstrap = embedded.bootstrapServers();
            }
            out.println("broker: " + bootstrap);
            DemoKafka.createTopics(bootstrap, embedded != null, out);
            return runServices(options, out, work, bootstrap, progress, stopping, t0);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static int runServices(
            DemoOptions options,
            PrintStream out,
            Path work,
            String bootstrap,
            DemoProgress progress,
            AtomicBoolean stopping,
            long t0)
            throws IOException, InterruptedException {
        List<CatalogItem> catalog = Datasets.readCatalog(options.catalogFile());
        DemoScenario scenario =
                DemoScenario.of(
                        catalog,
                        Datasets.readInteractions(options.interactionsFile()),
                        options.items(),
                        options.limit(),
                        options.coldStartFraction());
        List<Interaction> interactions = scenario.interactions();
        Map<Integer, String> listAt = scenario.listAt();
        Map<String, CatalogItem> byId = scenario.byId();
        Instant catalogListedAt = scenario.catalogListedAt();
        List<CatalogItem> initial = scenario.initial();
        catalog = catalog.subList(0, Math.min(options.items(), catalog.size()));

        Map<String, String> env = new HashMap<>();
        env.put(IngestSetting.BOOTSTRAP_SERVERS.key(), bootstrap);
        env.put(IngestSetting.BUNDLE_DIR.key(), options.bundleDir().toString());
        env.put(IngestSetting.STATE_DIR.key(), work.resolve("ingest").toString());
        env.put(IngestSetting.APPLICATION_ID.key(), INGEST_APP);
        env.put(IngestSetting.HTTP_PORT.key(), "0");
        env.put(RetrievalSetting.HTTP_PORT.key(), "0");
        env.put(RetrievalSetting.APPLICATION_ID.key(), RETRIEVAL_APP);
        env.put("SIDSTREAM_KAFKA_COMMIT_INTERVAL_MS", "200");
        // A request per user once their interactions pause, with a narrower beam than the
        // server default: a laptop replays ~100k interactions of ~16k users in a minute or two.
        env.put(IngestSetting.HISTORY_REQUEST_POLICY.key(), "DEBOUNCED");
        env.put(IngestSetting.HISTORY_REQUEST_DEBOUNCE_MS.key(), "3000");
        env.put(IngestSetting.HISTORY_REQUEST_CANDIDATES.key(), "20");
        env.put(RetrievalSetting.DEFAULT_BEAM.key(), "32");
        Map<String, String> overrides = operatorOverrides(System.getenv());
        if (!overrides.isEmpty()) {
            out.println("settings from the environment: " + new java.util.TreeMap<>(overrides));
            env.putAll(overrides);
        }
        DashboardServer.DemoStatus status = new DashboardServer.DemoStatus();
        try (IngestService ingest =
                        IngestService.start(
                                IngestConfig.fromEnv(only(env, IngestSetting.values())),
                                Duration.ofMinutes(2));
                RetrievalService retrieval = startRetrieval(env, ingest);
                LiveView view =
                        LiveView.start(
                                bootstrap,
                                retrieval.index().levels(),
                                retrieval.index().codebookSize());
                DashboardServer dashboard =
                        DashboardServer.start(
                                options.dashboardPort(),
                                options.dashboardPort() == DemoOptions.DEFAULT_DASHBOARD_PORT,
                                view,
                                status,
                                "http://localhost:" + ingest.httpPort(),
                                "http://localhost:" + retrieval.httpPort());
                KafkaProducer<String, ItemEvent> items =
                        DemoKafka.producer(bootstrap, Topics.ITEMS);
                KafkaProducer<String, InteractionEvent> events =
                        DemoKafka.producer(bootstrap, Topics.INTERACTIONS)) {
            ClientCommands.writeDemoEndpoints(
                    work,
                    Map.of(
                            "bootstrap",
                            bootstrap,
                            "ingest",
                            "http://localhost:" + ingest.httpPort(),
                            "retrieval",
                            "http://localhost:" + retrieval.httpPort(),
                            "dashboard",
                            dashboard.url(),
                            "catalog",
                            options.catalogFile().toAbsolutePath().toString()));
            status.bundleVersion = retrieval.modelVersion();
            status.executionProvider = retrieval.executionProvider();
            out.println();
            out.println("dashboard:        " + dashboard.url() + "   <- open this in a browser");
            out.printf(
                    Locale.ROOT,
                    "ingest-stream:    http://localhost:%d/items/{id}/sid  /users/{id}/history  /metrics%n",
                    ingest.httpPort());
            out.printf(
                    Locale.ROOT,
                    "retrieval-server: POST http://localhost:%d/recommendations  /metrics (decoder on %s)%n",
                    retrieval.httpPort(),
                    retrieval.executionProvider());
            out.println();
            if (!progress.initialListed) {
                status.phase("listing the catalog", initial.size());
                replay(
                        out,
                        "list items",
                        initial.size(),
                        stopping,
                        status,
                        i ->
                                DemoKafka.send(
                                        items,
                                        Topics.ITEMS,
                                        initial.get(i).itemId(),
                                        DemoRecords.itemEvent(initial.get(i), catalogListedAt)));
                items.flush();
                if (!stopping.get()) {
                    progress.initialListed = true;
                    progress.save();
                }
            }
            status.phase("assigning SIDs", initial.size());
            awaitIndex(out, retrieval, initial.size(), stopping, status);
            if (progress.coldStartFrom == 0) {
                progress.coldStartFrom = System.currentTimeMillis();
                progress.save();
            }
            view.markColdStartFrom(progress.coldStartFrom);

            status.phase("replaying interactions", interactions.size());
            status.done = progress.replayed;
            int from = progress.replayed;
            int listedLate = 0;
            ProgressBar bar = new ProgressBar(out, "interactions", interactions.size() - from);
            long wallStart = System.nanoTime();
            long eventStart =
                    from < interactions.size() ? interactions.get(from).timestampMillis() : 0;
            for (int i = from; i < interactions.size() && !stopping.get(); i++) {
                Interaction e = interactions.get(i);
                if (options.speedup() > 0) {
                    long due =
                            wallStart
                                    + (long)
                                            ((e.timestampMillis() - eventStart)
                                                    * 1e6
                                                    / options.speedup());
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                String newItem = listAt.get(i);
                if (newItem != null) {
                    DemoKafka.send(
                            items, Topics.ITEMS, newItem, DemoRecords.itemEvent(byId.get(newItem)));
                    listedLate++;
                }
                DemoKafka.send(
                        events,
                        Topics.INTERACTIONS,
                        e.userId(),
                        DemoRecords.interactionEvent(e, i));
                bar.step();
                status.done = i + 1;
                if ((i + 1) % 5_000 == 0) {
                    items.flush();
                    events.flush();
                    progress.replayed = i + 1;
                    progress.save();
                }
            }
            items.flush();
            events.flush();
            if (from < interactions.size()) {
                bar.done();
            }
            progress.replayed = (int) status.done;
            progress.save();
            if (stopping.get()) {
                out.println("stopping: progress saved; rerun the same command to resume");
                return 130;
            }
            status.phase("recommending", 0);
            awaitRecommendations(out, view, stopping);
            int hits =
                    new SampleUsersReport(
                                    new RetrievalClient("http://localhost:" + retrieval.httpPort()),
                                    titles(catalog),
                                    out)
                            .print(interactions, SAMPLE_USERS);
            status.phase("a new release", 0);
            FreshItemShowcase.Result fresh =
                    FreshItemShowcase.run(bootstrap, retrieval, interactions);
            if (fresh != null) {
                out.println(fresh.line());
                status.freshItem = fresh.line();
            }
            Map<String, Long> counts = view.counts();
            long[] cold = view.coldStartCounts();
            out.printf(
                    Locale.ROOT,
                    "summary: items listed=%d (%d of them cold-start, %d of those recommended so far),"
                            + " items with a SID in the live index=%d, interactions=%d,"
                            + " retrieval requests=%d, recommendations published=%d, dead letters=%d,"
                            + " sample users=%d (held-out item in top 10: %d), elapsed=%.1fs%n",
                    scenario.itemsListed(),
                    listAt.size(),
                    cold[1],
                    retrieval.index().size(),
                    interactions.size(),
                    counts.get(Topics.RETRIEVAL_REQUESTS.name()),
                    counts.get(Topics.RECOMMENDATIONS.name()),
                    counts.get(Topics.ITEMS_DLQ.name())
                            + counts.get(Topics.INTERACTIONS_DLQ.name())
                            + counts.get(Topics.RETRIEVAL_REQUESTS_DLQ.name()),
                    SAMPLE_USERS,
                    hits,
                    (System.nanoTime() - t0) / 1e9);
            status.phase("serving", 0);
            if (options.serve()) {
                out.println(
                        "serving; dashboard at " + dashboard.url() + " -- press Ctrl-C to stop");
                while (!stopping.get()) {
                    Thread.sleep(200);
                }
                out.println("stopping: state kept in " + work + "; rerun to resume");
            }
            // Items produced by others (e.g. `sidstream produce`) may be live too.
            return retrieval.index().size() >= scenario.itemsListed() ? 0 : 1;
        }
    }

    /**
     * What wires the demo's own broker, work directory, ports and bundle: never overridden (both
     * services read the same bootstrap and bundle keys).
     */
    private static final Set<String> DEMO_OWNED =
            Set.of(
                    IngestSetting.BOOTSTRAP_SERVERS.key(),
                    IngestSetting.BUNDLE_DIR.key(),
                    IngestSetting.STATE_DIR.key(),
                    IngestSetting.APPLICATION_ID.key(),
                    IngestSetting.HTTP_PORT.key(),
                    RetrievalSetting.HTTP_PORT.key(),
                    RetrievalSetting.APPLICATION_ID.key(),
                    RetrievalSetting.INGEST_URL.key());

    /**
     * The {@code SIDSTREAM_*} settings of the process environment that change the demo's services
     * (an operator trying {@code SIDSTREAM_RETRIEVAL_SEARCH_GRAPH=on}, say), over the demo's own
     * choices; the keys that wire the demo together are left out.
     */
    static Map<String, String> operatorOverrides(Map<String, String> processEnv) {
        Map<String, String> known = new HashMap<>();
        known.putAll(only(processEnv, IngestSetting.values()));
        known.putAll(only(processEnv, RetrievalSetting.values()));
        known.keySet().removeAll(DEMO_OWNED);
        return known;
    }

    /** The settings of one service out of the demo's shared map (and the Kafka pass-through). */
    private static Map<String, String> only(Map<String, String> env, Setting[] settings) {
        Set<String> keys = new HashSet<>();
        for (Setting s : settings) {
            keys.add(s.key());
        }
        Map<String, String> out = new HashMap<>();
        env.forEach(
                (k, v) -> {
                    if (keys.contains(k) || k.startsWith(SettingsReader.KAFKA_PREFIX)) {
                        out.put(k, v);
                    }
                });
        return out;
    }

    private static Map<String, String> titles(List<CatalogItem> catalog) {
        Map<String, String> titles = new HashMap<>();
        catalog.forEach(i -> titles.put(i.itemId(), i.title()));
        return titles;
    }

    /** Waits until the recommendations published catch up with the requests (or stop growing). */
    private static void awaitRecommendations(PrintStream out, LiveView view, AtomicBoolean stopping)
            throws InterruptedException {
        // Requests follow a user's last interaction by the debounce interval.
        Thread.sleep(4_000);
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        long requests = view.counts().get(Topics.RETRIEVAL_REQUESTS.name());
        ProgressBar bar = new ProgressBar(out, "recommend", requests);
        long last = 0;
        long answered = 0;
        while (!stopping.get() && System.nanoTime() < deadline) {
            Map<String, Long> counts = view.counts();
            // Debounced requests keep arriving for a while: the total grows with the work.
            requests = counts.get(Topics.RETRIEVAL_REQUESTS.name());
            bar.total(requests);
            answered =
                    counts.get(Topics.RECOMMENDATIONS.name())
                            + counts.get(Topics.RETRIEVAL_REQUESTS_DLQ.name());
            bar.advance(Math.min(answered, requests) - last);
            last = Math.min(answered, requests);
            if (answered >= requests) {
                break;
            }
            Thread.sleep(250);
        }
        bar.done();
        if (answered < requests) {
            out.printf(
                    Locale.ROOT,
                    "%d of %d retrieval requests still queued; they are answered while serving%n",
                    requests - answered,
                    requests);
        }
    }

    private static RetrievalService startRetrieval(Map<String, String> env, IngestService ingest)
            throws InterruptedException {
        env.put("SIDSTREAM_INGEST_URL", "http://localhost:" + ingest.httpPort());
        return RetrievalService.start(
                RetrievalConfig.fromEnv(only(env, RetrievalSetting.values())),
                Duration.ofMinutes(1));
    }

    private static void awaitIndex(
            PrintStream out,
            RetrievalService retrieval,
            int expected,
            AtomicBoolean stopping,
            DashboardServer.DemoStatus status)
            throws InterruptedException {
        ProgressBar progress = new ProgressBar(out, "assign SIDs", expected);
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        int last = 0;
        while (retrieval.index().size() < expected
                && System.nanoTime() < deadline
                && !stopping.get()) {
            Thread.sleep(200);
            int now = Math.min(expected, retrieval.index().size());
            progress.advance(now - last);
            status.done = now;
            last = now;
        }
        progress.advance(Math.min(expected, retrieval.index().size()) - last);
        progress.done();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void replay(
            PrintStream out,
            String what,
            int total,
            AtomicBoolean stopping,
            DashboardServer.DemoStatus status,
            java.util.function.IntConsumer sendOne) {
        ProgressBar progress = new ProgressBar(out, what, total);
        for (int i = 0; i < total && !stopping.get(); i++) {
            sendOne.accept(i);
            progress.step();
            status.done = i + 1;
        }
        progress.done();
    }
}
