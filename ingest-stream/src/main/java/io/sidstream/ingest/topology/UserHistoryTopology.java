package io.sidstream.ingest.topology;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.metrics.HistoryMetrics;
import io.sidstream.ingest.processor.HistoryOutput;
import io.sidstream.ingest.processor.HistoryProcessor;
import io.sidstream.ingest.processor.ItemSidIndexUpdater;
import io.sidstream.ingest.store.IngestStores;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

import java.util.Map;

/**
 * Per-user SID histories: {@code users.events.v1} (keyed by user) -> {@code user-history} -> {@code
 * users.history.v1} (compacted) and, by policy, {@code retrieval.requests.v1}; bad input to {@code
 * users.events.v1.dlq}. Item SIDs come from a global store fed by {@code items.sid.v1}, so the
 * interactions stream needs no repartitioning: every instance can resolve every item.
 */
public final class UserHistoryTopology {
    /** Names the interactions' hop: its repartition or relay topic and processors. */
    public static final String EVENTS_ROUTE = "events-by-user";

    private UserHistoryTopology() {}

    public static Topology build(HistorySettings settings, String bundleVersion) {
        return build(settings, bundleVersion, new SimpleMeterRegistry());
    }

    /** The history topology alone, its meters in {@code registry}. */
    public static Topology build(
            HistorySettings settings, String bundleVersion, MeterRegistry registry) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(builder, settings, bundleVersion, InputRouting.REPARTITION, 0, registry);
        return builder.build();
    }

    /**
     * Adds the history sub-topology to a builder shared with other topologies.
     *
     * @param bundleVersion the bundle whose SIDs histories resolve to; other bundles' SIDs on
     *     {@code items.sid.v1} are skipped and counted
     * @param inputPartitions partitions of {@code users.events.v1}, for the placement check of
     *     {@link InputRouting#AS_PRODUCED}; 0 if unknown
     */
    public static void addTo(
            StreamsBuilder builder,
            HistorySettings settings,
            String bundleVersion,
            InputRouting routing,
            int inputPartitions,
            MeterRegistry registry) {
        builder.addStateStore(IngestStores.userHistory());
        builder.addStateStore(IngestStores.userPending());
        builder.addStateStore(IngestStores.userRequestDue());
        HistoryMetrics metrics = new HistoryMetrics(registry);
        builder.addGlobalStore(
                IngestStores.itemSidIndex(),
                Topics.ITEM_SIDS.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray())
                        .withName("item-sids-global-source"),
                () ->
                        new ItemSidIndexUpdater(
                                IngestStores.ITEM_SID_INDEX,
                                bundleVersion,
                                metrics.foreignBundleSids()));
        KStream<String, HistoryOutput> out =
                InputRoutes.route(
                                builder,
                                settings.applicationId(),
                                Topics.INTERACTIONS.name(),
                                "interactions-source",
                                EVENTS_ROUTE,
                                routing,
                                inputPartitions,
                                registry)
                        .process(
                                () -> new HistoryProcessor(settings, metrics),
                                Named.as("user-history-builder"),
                                IngestStores.USER_HISTORY,
                                IngestStores.USER_PENDING,
                                IngestStores.USER_REQUEST_DUE);
        Map<String, KStream<String, HistoryOutput>> routes =
                out.split(Named.as("history-"))
                        .branch(
                                (k, v) -> v instanceof HistoryOutput.Rejected,
                                Branched.as("rejected"))
                        .branch(
                                (k, v) -> v instanceof HistoryOutput.History,
                                Branched.as("history"))
                        .defaultBranch(Branched.as("requests"));
        routes.get("history-rejected")
                .mapValues(
                        v -> ((HistoryOutput.Rejected) v).deadLetter(),
                        Named.as("to-interaction-dead-letter"))
                .to(
                        Topics.INTERACTIONS_DLQ.name(),
                        Produced.with(
                                        Topics.INTERACTIONS_DLQ.keySerde(),
                                        Topics.INTERACTIONS_DLQ.valueSerde())
                                .withName("interactions-dlq-sink"));
        routes.get("history-history")
                .mapValues(v -> ((HistoryOutput.History) v).history(), Named.as("to-user-history"))
                .to(
                        Topics.USER_HISTORIES.name(),
                        Produced.with(
                                        Topics.USER_HISTORIES.keySerde(),
                                        Topics.USER_HISTORIES.valueSerde())
                                .withName("user-histories-sink"));
        routes.get("history-requests")
                .mapValues(
                        v -> ((HistoryOutput.Request) v).request(),
                        Named.as("to-retrieval-request"))
                .to(
                        Topics.RETRIEVAL_REQUESTS.name(),
                        Produced.with(
                                        Topics.RETRIEVAL_REQUESTS.keySerde(),
                                        Topics.RETRIEVAL_REQUESTS.valueSerde())
                                .withName("retrieval-requests-sink"));
    }
}
