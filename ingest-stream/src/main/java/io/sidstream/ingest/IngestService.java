package io.sidstream.ingest;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sidstream.contracts.InternalTopic;
import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.errors.DeadLetterProductionHandler;
import io.sidstream.ingest.http.IngestHttpServer;
import io.sidstream.ingest.metrics.ItemMetrics;
import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.ingest.topology.ItemTopology;
import io.sidstream.ingest.topology.RelayTopology;
import io.sidstream.ingest.topology.UserHistoryTopology;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.platform.SidstreamException;
import io.sidstream.platform.http.BearerTokens;
import io.sidstream.platform.kafka.TopicAdmin;
import io.sidstream.platform.metrics.ServiceMetrics;
import io.sidstream.platform.service.ServiceLauncher;
import io.sidstream.sid.SemanticEncoder;
import io.sidstream.sid.SidAssigner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running ingest-stream instance: model bundle, SID assignment topology on Kafka Streams, and
 * its HTTP endpoints. {@link #start} returns once Kafka Streams is RUNNING; {@link #close} stops
 * everything (also from a shutdown hook).
 */
public final class IngestService implements ServiceLauncher.Service {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

    /** Topics this service reads or writes; all must exist before it starts. */
    public static final List<TopicSpec<?, ?>> REQUIRED_TOPICS =
            List.of(
                    Topics.ITEMS,
                    Topics.ITEM_SIDS,
                    Topics.ITEM_CATALOG,
                    Topics.ITEMS_DLQ,
                    Topics.INTERACTIONS,
                    Topics.USER_HISTORIES,
                    Topics.INTERACTIONS_DLQ,
                    Topics.RETRIEVAL_REQUESTS);

    private final SemanticEncoder assigner;
    private final KafkaStreams streams;
    private final KafkaStreams relay;
    private final RelayTopicPurger purger;
    private final IngestHttpServer http;
    private final ItemMetrics metrics;
    private final boolean leaveGroupOnClose;
    private final CompletableFuture<String> failure;
    private final ExecutorService embedder;

    private IngestService(
            SemanticEncoder assigner,
            KafkaStreams streams,
            KafkaStreams relay,
            RelayTopicPurger purger,
            IngestHttpServer http,
            ItemMetrics metrics,
            boolean leaveGroupOnClose,
            CompletableFuture<String> failure,
            ExecutorService embedder) {
        this.failure = failure;
        this.relay = relay;
        this.purger = purger;
        this.embedder = embedder;
        this.leaveGroupOnClose = leaveGroupOnClose;
        this.assigner = assigner;
        this.streams = streams;
        this.http = http;
        this.metrics = metrics;
    }

    /** Validates the bundle and topics (fail fast), then starts and waits for RUNNING. */
    public static IngestService start(IngestConfig config, Duration startTimeout) {
        ModelBundle bundle = ModelBundle.load(config.bundleDir());
        return start(config, startTimeout, SidAssigner.open(bundle, config.modelThreads()));
    }

    /** Starts with a given encoder (tests inject failing or fake models); closes it on stop. */
    static IngestService start(
            IngestConfig config, Duration startTimeout, SemanticEncoder assigner) {
        config.wireFormat().install(true);
        KafkaStreams streams = null;
        KafkaStreams relay = null;
        IngestHttpServer http = null;
        CompletableFuture<String> failure = new CompletableFuture<>();
        // One model thread for all tasks: the model is the bottleneck and uses the cores itself
        // (SIDSTREAM_MODEL_THREADS); stream threads stay free to poll, commit and answer.
        ExecutorService embedder =
                Executors.newSingleThreadExecutor(
                        r -> {
                            Thread t = new Thread(r, "sid-embedder");
                            t.setDaemon(true);
                            return t;
                        });
        try {
            InputPartitions partitions = prepareTopics(config, assigner);
            PrometheusMeterRegistry registry = ServiceMetrics.registry();
            ItemMetrics metrics =
                    new ItemMetrics(registry, assigner.levels(), assigner.codebookSize());
            // Bind HTTP first: its port is this instance's address for interactive-query routing.
            AtomicReference<KafkaStreams> current = new AtomicReference<>();
            http =
                    new IngestHttpServer(
                            config.httpBindAddress(),
                            config.httpPort(),
                            BearerTokens.fromFile(config.httpTokensFile()),
                            current::get,
                            registry,
                            config.advertisedHost());
            Properties props = config.streamsProperties();
            props.put(
                    StreamsConfig.APPLICATION_SERVER_CONFIG,
                    config.advertisedHost() + ":" + http.port());
            props.put(
                    StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                    DeadLetterProductionHandler.class.getName());
            streams =
                    new KafkaStreams(
                            topology(config, assigner, metrics, partitions, embedder), props);
            RoutingMarker.reconcile(
                    config.stateDir(),
                    config.applicationId(),
                    config.inputRouting(),
                    streams::cleanUp);
            current.set(streams);
            new KafkaStreamsMetrics(streams).bindTo(registry);
            FunctionCounter.builder(
                            "sidstream.dlq.dropped",
                            DeadLetterProductionHandler.DROPPED,
                            AtomicLong::doubleValue)
                    .description("Dead letters the broker refused (too large for the topic)")
                    .register(registry);
            CountDownLatch running = new CountDownLatch(relayed(config) ? 2 : 1);
            watch(streams, "kafka streams", failure, running);
            if (relayed(config)) {
                relay = new KafkaStreams(relayTopology(config, assigner), relayProperties(config));
                new KafkaStreamsMetrics(relay).bindTo(registry);
                watch(relay, "relay", failure, running);
            }
            // A failure while starting (an ACL missing, say) is final: report it at once.
            failure.whenComplete(
                    (reason, e) -> {
                        while (running.getCount() > 0) {
                            running.countDown();
                        }
                    });
            http.start();
            if (relay != null) {
                relay.start();
            }
            streams.start();
            boolean settled = running.await(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (failure.isDone()) {
                throw new SidstreamException(
                        "ingest-stream failed to start: " + failure.getNow("unknown"));
            }
            if (!settled) {
                throw new SidstreamException(
                        "ingest-stream did not reach RUNNING within "
                                + startTimeout
                                + " (state "
                                + streams.state()
                                + (relay == null ? "" : ", relay " + relay.state())
                                + ")");
            }
            LOG.info(
                    "ingest-stream running application={} bundle={} mode={} sids={} http={}",
                    config.applicationId(),
                    assigner.modelVersion(),
                    config.retokenize() ? "retokenize" : "serve",
                    endpoints(config, assigner).sids(),
                    http.port());
            RelayTopicPurger purger =
                    relay == null
                            ? null
                            : new RelayTopicPurger(
                                    adminProps(config),
                                    config.applicationId(),
                                    relayTopics(config, assigner),
                                    Duration.ofSeconds(30));
            return new IngestService(
                    assigner,
                    streams,
                    relay,
                    purger,
                    http,
                    metrics,
                    leavesGroupOnClose(config),
                    failure,
                    embedder);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeAll(assigner, streams, relay, http, leavesGroupOnClose(config), embedder);
            throw new SidstreamException("interrupted while starting ingest-stream", e);
        } catch (RuntimeException e) {
            closeAll(assigner, streams, relay, http, leavesGroupOnClose(config), embedder);
            throw e;
        }
    }

    /**
     * Fails the service when a client fails, and counts {@code running} down when it is RUNNING.
     * Poison input never reaches the handler: processors dead-letter it. What does is unexpected,
     * and a replaced thread would re-read the same record and fail again, forever, with green
     * probes. So the client shuts down, liveness turns DOWN and the process exits non-zero:
     * Kubernetes restarts it and the restart count shows the problem.
     */
    private static void watch(
            KafkaStreams client,
            String name,
            CompletableFuture<String> failure,
            CountDownLatch running) {
        client.setUncaughtExceptionHandler(
                e -> {
                    LOG.error("{} stream thread failed; shutting ingest-stream down", name, e);
                    Throwable root = e;
                    while (root.getCause() != null && root.getCause() != root) {
                        root = root.getCause();
                    }
                    failure.complete(name + " stream thread failed: " + root);
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                            .SHUTDOWN_CLIENT;
                });
        // Once per client: every rebalance passes through RUNNING again.
        AtomicBoolean wasRunning = new AtomicBoolean();
        client.setStateListener(
                (now, before) -> {
                    LOG.info("{} state {} -> {}", name, before, now);
                    if (now == KafkaStreams.State.RUNNING
                            && wasRunning.compareAndSet(false, true)) {
                        running.countDown();
                    }
                    if (now == KafkaStreams.State.ERROR
                            || now == KafkaStreams.State.PENDING_ERROR) {
                        failure.complete(name + " is " + now);
                    }
                });
    }

    static boolean relayed(IngestConfig config) {
        return config.inputRouting() == InputRouting.RELAY;
    }

    /** The relay's routes: the items' source, and the interactions unless re-tokenizing. */
    static List<RelayTopology.Route> relayRoutes(IngestConfig config, SemanticEncoder assigner) {
        List<RelayTopology.Route> routes = new java.util.ArrayList<>();
        routes.add(
                new RelayTopology.Route(
                        endpoints(config, assigner).source(), ItemTopology.ITEMS_ROUTE));
        if (!config.retokenize()) {
            routes.add(
                    new RelayTopology.Route(
                            Topics.INTERACTIONS.name(), UserHistoryTopology.EVENTS_ROUTE));
        }
        return routes;
    }

    static List<String> relayTopics(IngestConfig config, SemanticEncoder assigner) {
        return relayRoutes(config, assigner).stream()
                .map(r -> RelayTopology.relayTopic(config.applicationId(), r.name()))
                .toList();
    }

    static Topology relayTopology(IngestConfig config, SemanticEncoder assigner) {
        return RelayTopology.build(config.applicationId(), relayRoutes(config, assigner));
    }

    /**
     * The relay's client: the owners' settings, in its own application, at-least-once (its records
     * readable as soon as written), with at_least_once's producer defaults unless an operator set
     * them. It is stateless: no standbys, one thread.
     */
    static Properties relayProperties(IngestConfig config) {
        Properties props = config.streamsProperties(StreamsConfig.AT_LEAST_ONCE);
        props.put(
                StreamsConfig.APPLICATION_ID_CONFIG,
                RelayTopology.applicationId(config.applicationId()));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 0);
        // The owners' de-duplication needs every record the relay writes from a source partition
        // to follow all earlier ones of that partition (a gap, then a replay of the missing record
        // after a later one, would be dropped). So the delivered records of a partition must
        // always be a prefix of what was sent. An idempotent producer keeps order across retries;
        // an unbounded delivery timeout leaves no batch to expire in the middle (a broker away
        // blocks the relay instead); the size limit is checked by the client, which fails the
        // send before the next record is handed over, and is below the relay topics' limit, so
        // the broker refuses no batch. What remains fails every later batch too: fencing,
        // authorization, or the close of a stopping relay.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG), true);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        props.put(
                StreamsConfig.producerPrefix(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG),
                Integer.MAX_VALUE);
        props.put(
                StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                RelayTopology.MAX_RECORD_BYTES);
        // Its commit only records how far it has copied: a crash replays at most this much.
        if (!config.kafkaOverrides().containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)) {
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        }
        return props;
    }

    /** Topics a re-tokenizing instance reads or writes besides its own SID topic. */
    static final List<TopicSpec<?, ?>> RETOKENIZE_TOPICS =
            List.of(Topics.ITEM_CATALOG, Topics.ITEMS_DLQ);

    /**
     * SID assignment and user histories in one Kafka Streams application; in retokenize mode, SID
     * assignment alone, from the catalog into the bundle's own SID space.
     */
    static Topology topology(
            IngestConfig config,
            SemanticEncoder assigner,
            ItemMetrics metrics,
            InputPartitions partitions,
            Executor embedder) {
        StreamsBuilder builder = new StreamsBuilder();
        ItemTopology.addTo(
                builder,
                config.itemSettings(),
                assigner,
                metrics,
                config.inputRouting(),
                partitions.items(),
                embedder,
                endpoints(config, assigner));
        if (config.retokenize()) {
            return builder.build();
        }
        UserHistoryTopology.addTo(
                builder,
                config.history(),
                assigner.modelVersion(),
                config.inputRouting(),
                partitions.events(),
                metrics.registry());
        return builder.build();
    }

    /** Partition counts of the input topics. */
    record InputPartitions(int items, int events) {}

    static ItemTopology.Endpoints endpoints(IngestConfig config, SemanticEncoder assigner) {
        return config.retokenize()
                ? ItemTopology.Endpoints.retokenizing(assigner.modelVersion())
                : ItemTopology.Endpoints.PRIMARY;
    }

    /**
     * Checks the required topics, creates the internal ones this instance owns and carries input
     * positions over a change of routing. The confirmations topic shares the item-side stores with
     * {@code items.raw.v1}, so it must have the same partition count; it is created so, and a
     * mismatch is fatal.
     */
    static InputPartitions prepareTopics(IngestConfig config, SemanticEncoder assigner) {
        String topic = config.itemSettings().confirmationsTopic();
        ItemTopology.Endpoints endpoints = endpoints(config, assigner);
        try (Admin admin = Admin.create(adminProps(config))) {
            List<String> missing = new java.util.ArrayList<>();
            for (TopicSpec<?, ?> spec : config.retokenize() ? RETOKENIZE_TOPICS : REQUIRED_TOPICS) {
                if (!TopicAdmin.exists(admin, spec.name())) {
                    missing.add(spec.name());
                }
            }
            if (!missing.isEmpty()) {
                throw new SidstreamException(
                        "topics missing on "
                                + config.bootstrapServers()
                                + ": "
                                + missing
                                + " (create them from the topic catalogue, io.sidstream.contracts.Topics)");
            }
            if (config.retokenize()) {
                // The space's SID table is this instance's own output: created on first start.
                TopicAdmin.createMissing(
                        admin,
                        List.of(Topics.spaceSids(assigner.modelVersion()).toNewTopic((short) -1)));
            }
            int partitions =
                    ensurePartitionedLike(
                            admin,
                            topic,
                            endpoints.source(),
                            Map.of(),
                            "delete " + topic + " to recreate it");
            InputPartitions inputs =
                    new InputPartitions(
                            partitions,
                            config.retokenize()
                                    ? 0
                                    : TopicAdmin.partitions(admin, Topics.INTERACTIONS.name()));
            if (relayed(config)) {
                ensureRelayTopics(admin, config, assigner);
            }
            RoutingHandover.prepare(
                    admin,
                    config.applicationId(),
                    config.inputRouting(),
                    relayRoutes(config, assigner));
            return inputs;
        }
    }

    /**
     * Each relay topic has its input's partition count (the items' must match the confirmations
     * topic, which shares their stores); created so on first start, and a mismatch is fatal.
     */
    private static void ensureRelayTopics(
            Admin admin, IngestConfig config, SemanticEncoder assigner) {
        for (RelayTopology.Route route : relayRoutes(config, assigner)) {
            String topic = RelayTopology.relayTopic(config.applicationId(), route.name());
            ensurePartitionedLike(
                    admin,
                    topic,
                    route.source(),
                    RelayTopology.TOPIC_CONFIGS,
                    "stop ingest, let its owners drain " + topic + ", delete it and start again");
        }
    }

    /**
     * Creates {@code topic} if missing with {@code source}'s partition count, which it must have.
     */
    private static int ensurePartitionedLike(
            Admin admin, String topic, String source, Map<String, String> configs, String fix) {
        int partitions = TopicAdmin.partitions(admin, source);
        TopicAdmin.createMissing(
                admin, List.of(new NewTopic(topic, partitions, (short) -1).configs(configs)));
        int actual = TopicAdmin.partitions(admin, topic);
        if (actual != partitions) {
            throw new SidstreamException(
                    topic
                            + " has "
                            + actual
                            + " partitions but "
                            + source
                            + " has "
                            + partitions
                            + "; they must match ("
                            + fix
                            + ")");
        }
        return partitions;
    }

    /**
     * The internal topics of a serving instance with the default routing, as a deployment should
     * declare them: the confirmations topic and the relay topics, each partitioned like its input.
     */
    public static List<InternalTopic> internalTopics(String applicationId) {
        return List.of(
                new InternalTopic(
                        applicationId + "-sid-confirmations",
                        "Collision-code answers from the prefix owners back to the item owners"
                                + " (internal).",
                        Topics.ITEMS,
                        Map.of("cleanup.policy", "delete", "retention.ms", "604800000")),
                relayTopic(applicationId, ItemTopology.ITEMS_ROUTE, Topics.ITEMS),
                relayTopic(applicationId, UserHistoryTopology.EVENTS_ROUTE, Topics.INTERACTIONS));
    }

    private static InternalTopic relayTopic(
            String applicationId, String route, TopicSpec<?, ?> input) {
        return new InternalTopic(
                RelayTopology.relayTopic(applicationId, route),
                input.name() + " re-keyed by the ingest relay for its owners (internal).",
                input,
                RelayTopology.TOPIC_CONFIGS);
    }

    private static Map<String, Object> adminProps(IngestConfig config) {
        Map<String, Object> props = new java.util.HashMap<>(config.kafkaOverrides());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        return props;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public int httpPort() {
        return http.port();
    }

    public ItemMetrics metrics() {
        return metrics;
    }

    @Override
    public CompletableFuture<String> failure() {
        return failure;
    }

    @Override
    public void close() {
        if (purger != null) {
            purger.close();
        }
        closeAll(assigner, streams, relay, http, leaveGroupOnClose, embedder);
    }

    /**
     * A dynamic member leaves the group on a graceful stop, so that a restart (or the remaining
     * instances) need not wait out the session timeout before its tasks are reassigned. A static
     * member (group.instance.id, as on Kubernetes) stays: its restart within the session timeout
     * then moves nothing.
     */
    static boolean leavesGroupOnClose(IngestConfig config) {
        return config.kafkaOverrides().keySet().stream()
                .noneMatch(k -> k.endsWith("group.instance.id"));
    }

    private static CloseOptions closeOptions(Duration timeout, boolean leaveGroup) {
        return CloseOptions.timeout(timeout)
                .withGroupMembershipOperation(
                        leaveGroup
                                ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                                : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP);
    }

    private static void closeAll(
            SemanticEncoder assigner,
            KafkaStreams streams,
            KafkaStreams relay,
            IngestHttpServer http,
            boolean leaveGroup,
            ExecutorService embedder) {
        if (http != null) {
            http.close();
        }
        // The relay first, so that the owners stop last; it holds no state and no transaction,
        // so a short wait is enough (the pod's grace period covers relay, owners and model).
        if (relay != null) {
            relay.close(closeOptions(Duration.ofSeconds(10), leaveGroup));
        }
        if (streams != null) {
            // Long enough to commit the open transaction, so a graceful stop loses no work.
            streams.close(closeOptions(Duration.ofSeconds(30), leaveGroup));
        }
        // After the stream threads are gone nothing waits for the model; let a running batch
        // finish before the sessions it uses are closed.
        embedder.shutdown();
        try {
            embedder.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assigner.close();
    }
}
