package io.sidstream.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.platform.metrics.ServiceMetrics;
import io.sidstream.platform.service.ServiceLauncher;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.ServingSlot;
import io.sidstream.retrieval.batch.ShadowScorer;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.LogitsFn;
import io.sidstream.retrieval.beam.PopularityPrior;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.beam.TokenLayout;
import io.sidstream.retrieval.http.IngestHistoryClient;
import io.sidstream.retrieval.http.RetrievalHttpServer;
import io.sidstream.retrieval.index.CatalogCoverage;
import io.sidstream.retrieval.index.PriorFeed;
import io.sidstream.retrieval.index.SidIndexFeed;
import io.sidstream.retrieval.kafka.RequestLoop;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import io.sidstream.retrieval.onnx.SentenceSteering;
import io.sidstream.retrieval.request.RequestTranslator;
import io.sidstream.retrieval.request.TextSteering;
import io.sidstream.sid.SidAssigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running retrieval-server: model bundle and decoder (CUDA or CPU), live SID index fed from
 * {@code items.sid.v1}, micro-batched beam search, the Kafka request loop and the HTTP API.
 * Metrics: {@code sidstream.retrieval.index.items}, {@code .index.version}, and {@code
 * sidstream.retrieval.cuda} (1 when the decoder runs on CUDA).
 */
public final class RetrievalService implements ServiceLauncher.Service {
    private static final Logger LOG = LoggerFactory.getLogger(RetrievalService.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DecoderSession session;
    private final ServingSlot slot;
    private final DecoderUpdates updates;
    private final SidIndexFeed feed;
    private final PriorFeed priorFeed;
    private final CatalogCoverage coverage;
    // Completes exceptionally when the request loop, started once the catalog is covered, fails.
    private final CompletableFuture<Void> loopStarted;
    private final MicroBatcher batcher;
    private final RequestLoop loop;
    private final RetrievalHttpServer http;
    private final SidTrie trie;
    private final String modelVersion;
    private final TextSteering textSteering;

    private RetrievalService(
            DecoderSession session,
            ServingSlot slot,
            DecoderUpdates updates,
            CatalogCoverage coverage,
            CompletableFuture<Void> loopStarted,
            SidIndexFeed feed,
            PriorFeed priorFeed,
            MicroBatcher batcher,
            RequestLoop loop,
            RetrievalHttpServer http,
            SidTrie trie,
            String modelVersion,
            TextSteering textSteering) {
        this.textSteering = textSteering;
        this.session = session;
        this.slot = slot;
        this.updates = updates;
        this.coverage = coverage;
        this.loopStarted = loopStarted;
        this.modelVersion = modelVersion;
        this.feed = feed;
        this.priorFeed = priorFeed;
        this.batcher = batcher;
        this.loop = loop;
        this.http = http;
        this.trie = trie;
    }

    /** Loads the bundle (fatal if unusable), loads the index, then serves. */
    public static RetrievalService start(RetrievalConfig config, Duration indexTimeout)
            throws InterruptedException {
        config.wireFormat().install(true);
        ModelBundle bundle = ModelBundle.load(config.bundleDir());
        BundleManifest m = bundle.manifest();
        DecoderSession session =
                DecoderSession.open(bundle, config.executionProvider(), config.modelThreads());
        boolean answersWithGraph;
        try {
            answersWithGraph =
                    config.searchGraph()
                            .uses(m.decoder().hasSearchGraph(), session.executionProvider());
        } catch (IllegalArgumentException e) {
            session.close();
            throw e;
        }
        LOG.info(
                "decoder on {}{} bundle={}",
                session.executionProvider(),
                session.fallbackReason() == null
                        ? ""
                        : " (CUDA unavailable: "
                                + session.fallbackReason().lines().findFirst().orElse("")
                                + ")",
                bundle.version());
        TokenLayout layout = DecoderLogits.layoutOf(m);
        SidTrie trie = new SidTrie(layout.levels(), m.sid().codebookSize());
        PrometheusMeterRegistry registry = ServiceMetrics.registry();
        Gauge.builder("sidstream.retrieval.index.items", trie, SidTrie::size)
                .description("Items in the live SID index")
                .register(registry);
        Gauge.builder("sidstream.retrieval.index.version", trie, SidTrie::version)
                .description("Updates applied to the live SID index")
                .register(registry);
        Gauge.builder("sidstream.retrieval.index.packed.bytes", trie, SidTrie::baseBytes)
                .description(
                        "Bytes of the live SID index's packed arrays (the changes since the last merge come on top)")
                .register(registry);
        FunctionCounter.builder("sidstream.retrieval.index.merges", trie, SidTrie::merges)
                .description(
                        "Times the live SID index merged its recent changes into a new packed base")
                .register(registry);
        Gauge.builder(
                        "sidstream.retrieval.cuda",
                        session,
                        s -> s.executionProvider().equals("cuda") ? 1 : 0)
                .description("1 when the decoder runs on CUDA, 0 on the CPU")
                .register(registry);
        // Opened before anything starts: a bad encoder fails the start with nothing to clean up
        // but the decoder session.
        TextSteering textSteering;
        try {
            textSteering =
                    config.textQueries()
                            ? new SentenceSteering(SidAssigner.open(bundle, config.modelThreads()))
                            : TextSteering.OFF;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        String sidTopic =
                config.ownSpace()
                        ? Topics.spaceSids(bundle.sidSpace()).name()
                        : Topics.ITEM_SIDS.name();
        SidIndexFeed feed =
                new SidIndexFeed(config.kafkaProperties(), trie, bundle.sidSpace(), sidTopic);
        FunctionCounter.builder(
                        "sidstream.retrieval.index.foreign_bundle",
                        feed,
                        f -> (double) f.foreignRecords())
                .description(
                        "items.sid.v1 records of another model bundle skipped by this index (a"
                                + " SID space belongs to one bundle)")
                .register(registry);
        feed.start();
        // An instance of its own SID space answers only once its index holds the whole catalog.
        CatalogCoverage coverage =
                config.ownSpace()
                        ? new CatalogCoverage(
                                config.kafkaProperties(), trie, config.maxUncoveredItems())
                        : null;
        if (coverage != null) {
            coverage.start();
            Gauge.builder(
                            "sidstream.retrieval.index.uncovered_items",
                            coverage,
                            CatalogCoverage::uncovered)
                    .description(
                            "Live items of items.catalog.v1 without a SID in this instance's own"
                                    + " SID space yet (-1 before the first check); not ready"
                                    + " until 0")
                    .register(registry);
        }
        RetrievalMetrics metrics = new RetrievalMetrics(registry);
        PriorSettings priorSettings = config.priorFor(m.prior());
        LOG.info(
                "popularity prior {} ({})",
                priorSettings.json(),
                m.prior() == null
                        ? "the SIDSTREAM_PRIOR_* settings; the bundle records none"
                        : config.priorSetByOperator()
                                ? "the SIDSTREAM_PRIOR_* settings, over the bundle's"
                                : "the bundle's, chosen on " + m.prior().chosenOn());
        PopularityPrior prior =
                new PopularityPrior(
                        layout.levels(),
                        m.sid().codebookSize(),
                        priorSettings.halfLife(),
                        priorSettings.pseudoCount());
        PriorFeed priorFeed =
                priorSettings.weight() > 0
                        ? new PriorFeed(
                                config.kafkaProperties(),
                                prior,
                                trie,
                                priorSettings.halfLife().multipliedBy(10))
                        : null;
        if (priorFeed != null) {
            priorFeed.start();
            Gauge.builder("sidstream.retrieval.prior.events", prior, PopularityPrior::events)
                    .description("Interactions counted in the live popularity prior")
                    .register(registry);
            Gauge.builder(
                            "sidstream.retrieval.prior.unknown_items",
                            priorFeed,
                            PriorFeed::unknownItems)
                    .description(
                            "Interactions the popularity prior skipped: their item had no SID in"
                                    + " this instance's index yet")
                    .register(registry);
            Gauge.builder("sidstream.retrieval.prior.refused", priorFeed, PriorFeed::refused)
                    .description(
                            "users.events.v1 records the popularity prior refused: undecodable,"
                                    + " or an event time over a day in the future")
                    .register(registry);
        }
        BeamSearch search =
                servedSearch(
                        metrics.timed(new DecoderLogits(session)),
                        layout,
                        m.decoder().maxHistoryItems(),
                        config,
                        prior,
                        priorSettings.weight());
        ServingSlot slot;
        try {
            slot =
                    new ServingSlot(
                            DecoderUpdates.model(
                                    bundle,
                                    session,
                                    search,
                                    answersWithGraph,
                                    config.searchGraph() == SearchGraph.ON,
                                    config.graphInputRefresh(),
                                    config.modelThreads()));
        } catch (RuntimeException e) {
            // A search graph that does not open fails the start, with nothing left running.
            closeFeeds(feed, coverage, priorFeed);
            session.close();
            throw e;
        }
        LOG.info(
                "search {} bundle={}",
                slot.current().hasGraph()
                        ? "as one graph call per unsteered batch ("
                                + m.decoder().searchFile()
                                + " on "
                                + session.executionProvider()
                                + ")"
                        : "level by level",
                bundle.version());
        MicroBatcher batcher =
                new MicroBatcher(
                        slot,
                        trie,
                        config.maxBatch(),
                        config.maxWait(),
                        4_096,
                        config.maxQueueWait(),
                        metrics);
        DecoderUpdates updates =
                new DecoderUpdates(
                        bundle,
                        config.executionProvider(),
                        config.searchGraph(),
                        config.graphInputRefresh(),
                        config.modelThreads(),
                        search,
                        metrics::timed,
                        batcher,
                        trie,
                        config.maxBatch(),
                        metrics);
        FunctionCounter.builder("sidstream.retrieval.decoder.swaps", updates, u -> u.swaps())
                .description("Decoder-only updates swapped in while serving (POST /admin/decoder)")
                .register(registry);
        if (!config.shadowBundleDir().isBlank()) {
            try {
                updates.shadow(Path.of(config.shadowBundleDir()), config.shadowSamplePercent());
            } catch (RuntimeException e) {
                batcher.close();
                closeFeeds(feed, coverage, priorFeed);
                slot.close();
                throw new IllegalArgumentException(
                        RetrievalSetting.SHADOW_BUNDLE_DIR.key() + ": " + e.getMessage(), e);
            }
        }
        RequestTranslator shared =
                new RequestTranslator(
                        layout.levels(),
                        m.sid().codebookSize(),
                        config.defaultBeam(),
                        config.maxBeam(),
                        config.maxK(),
                        new IngestHistoryClient(
                                config.ingestUrl(),
                                BearerTokens.firstToken(config.ingestTokenFile())),
                        textSteering);
        RequestTranslator translator =
                config.ownSpace() ? shared.resolvingHistoriesIn(trie) : shared;
        RequestLoop loop =
                new RequestLoop(
                        config.kafkaProperties(),
                        config.applicationId(),
                        batcher,
                        translator,
                        bundle.version(),
                        metrics);

        RetrievalHttpServer http =
                new RetrievalHttpServer(
                        config.httpBindAddress(),
                        config.httpPort(),
                        config.httpWorkers(),
                        config.httpQueue(),
                        BearerTokens.fromFile(config.httpTokensFile()),
                        batcher,
                        translator,
                        trie,
                        bundle.version(),
                        () -> feed.caughtUp() && (coverage == null || coverage.covered().isDone()),
                        registry::scrape,
                        loop::publish,
                        metrics,
                        config.maxBodyBytes(),
                        config.requestDeadline(),
                        () ->
                                loop.alive()
                                        && feed.alive()
                                        && (priorFeed == null || !priorFeed.failure().isDone()),
                        BearerTokens.fromFile(config.adminTokensFile()),
                        adminActions(bundle, updates));
        http.start();
        if (!feed.awaitCaughtUp(indexTimeout)) {
            // Readiness stays DOWN until it has: a partial index would recommend a partial
            // catalog and call it the answer.
            LOG.warn(
                    "SID index still loading after {}; not ready until it has caught up",
                    indexTimeout);
        }
        CompletableFuture<Void> loopStarted;
        if (coverage == null) {
            loop.start();
            loopStarted = CompletableFuture.completedFuture(null);
        } else {
            // Kafka requests too wait for the whole catalog in this space: joining the request
            // group takes partitions from instances that can answer them.
            loopStarted =
                    coverage.covered()
                            .thenRun(
                                    () -> {
                                        LOG.info(
                                                "own SID space covers the catalog; answering requests");
                                        loop.start();
                                    });
            try {
                coverage.covered().get(indexTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warn(
                        "own SID space {} does not cover the catalog yet ({} items missing);"
                                + " not ready, no requests taken until it does",
                        sidTopic,
                        coverage.uncovered());
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        LOG.info("retrieval-server running items={} http={}", trie.size(), http.port());
        return new RetrievalService(
                session,
                slot,
                updates,
                coverage,
                loopStarted,
                feed,
                priorFeed,
                batcher,
                loop,
                http,
                trie,
                bundle.version(),
                textSteering);
    }

    public int httpPort() {
        return http.port();
    }

    public SidTrie index() {
        return trie;
    }

    /** The version of the bundle this instance started on. */
    public String modelVersion() {
        return modelVersion;
    }

    /**
     * When this instance's own SID space first covered the live catalog (it answers nothing
     * before); null while it does not yet, or when it serves the shared space.
     */
    public Instant coveredAt() {
        return coverage == null ? null : coverage.covered().getNow(null);
    }

    /** The version of the bundle whose decoder answers now (after any swap). */
    public String servingVersion() {
        return slot.current().version();
    }

    private static RetrievalHttpServer.AdminActions adminActions(
            ModelBundle started, DecoderUpdates updates) {
        return new RetrievalHttpServer.AdminActions() {
            @Override
            public JsonNode models() {
                ObjectNode out = JSON.createObjectNode();
                out.put("serving", updates.serving());
                out.put("sidSpace", started.sidSpace());
                out.put("startedOn", started.version());
                out.put("swaps", updates.swaps());
                out.set("shadow", shadowJson(updates.shadowStats()));
                return out;
            }

            @Override
            public JsonNode swapDecoder(Path bundleDir) {
                DecoderUpdates.Swapped swapped = updates.swap(bundleDir);
                return JSON.createObjectNode()
                        .put("serving", swapped.serving())
                        .put("replaced", swapped.replaced())
                        .put("loadSeconds", swapped.loadSeconds());
            }

            @Override
            public JsonNode shadow(Path bundleDir, double samplePercent) {
                return shadowJson(updates.shadow(bundleDir, samplePercent));
            }

            @Override
            public JsonNode stopShadow() {
                ObjectNode out = JSON.createObjectNode();
                out.set("stopped", shadowJson(updates.stopShadow()));
                return out;
            }
        };
    }

    private static JsonNode shadowJson(ShadowScorer.Stats s) {
        if (s == null) {
            return JSON.nullNode();
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("candidate", s.candidate());
        out.put("samplePercent", s.samplePercent());
        out.put("scored", s.scored());
        out.put("dropped", s.dropped());
        out.put("failed", s.failed());
        out.put("liveInvalid", s.liveInvalid());
        out.put("candidateInvalid", s.candidateInvalid());
        if (s.scored() > 0) {
            out.put("meanOverlap", s.meanOverlap());
            out.put("meanCandidateSearchMillis", s.meanCandidateSearchMillis());
        }
        return out;
    }

    public String executionProvider() {
        return session.executionProvider();
    }

    @Override
    public CompletableFuture<String> failure() {
        CompletableFuture<String> any = new CompletableFuture<>();
        loop.failure().thenAccept(any::complete);
        feed.failure().thenAccept(any::complete);
        if (coverage != null) {
            coverage.failure().thenAccept(any::complete);
        }
        loopStarted.whenComplete(
                (ok, e) -> {
                    if (e != null) {
                        any.complete("the request loop failed to start: " + e);
                    }
                });
        if (priorFeed != null) {
            priorFeed.failure().thenAccept(any::complete);
        }
        return any;
    }

    /** The index, coverage (may be null) and prior (may be null) feeds, in that order. */
    private static void closeFeeds(
            SidIndexFeed feed, CatalogCoverage coverage, PriorFeed priorFeed) {
        feed.close();
        if (coverage != null) {
            coverage.close();
        }
        if (priorFeed != null) {
            priorFeed.close();
        }
    }

    @Override
    public void close() {
        http.close();
        loop.close();
        batcher.close();
        updates.close();
        closeFeeds(feed, coverage, priorFeed);
        if (textSteering instanceof SentenceSteering models) {
            try {
                models.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the sentence encoder failed: {}", e.toString());
            }
        }
        slot.close();
    }

    /**
     * The search this server answers with: {@code decoder} under the live {@code prior} (null:
     * none) at {@code priorWeight}, with the fresh-item slots and young items of {@code config}.
     * {@code sidstream eval} scores this same search, so what it reports is what is served.
     */
    public static BeamSearch servedSearch(
            LogitsFn decoder,
            TokenLayout layout,
            int maxHistoryItems,
            RetrievalConfig config,
            PopularityPrior prior,
            double priorWeight) {
        return new BeamSearch(decoder, layout, maxHistoryItems)
                .withFreshItems(config.freshItemWindow(), config.freshItemPercent() / 100.0)
                .withPrior(prior, priorWeight)
                .withYoungItems(
                        config.youngItemWindow(),
                        config.youngItemOffset(),
                        config.youngItemCandidates());
    }
}
