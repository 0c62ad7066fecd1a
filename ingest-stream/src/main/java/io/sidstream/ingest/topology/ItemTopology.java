package io.sidstream.ingest.topology;

import io.sidstream.contracts.Topics;
import io.sidstream.ingest.metrics.ItemMetrics;
import io.sidstream.ingest.processor.CollisionProcessor;
import io.sidstream.ingest.processor.IntakeEvent;
import io.sidstream.ingest.processor.IntakeOutput;
import io.sidstream.ingest.processor.ItemIntakeProcessor;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.store.InternalSchemas;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.SidConfirmation;
import io.sidstream.sid.SemanticEncoder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Real-time SID assignment for listed items.
 *
 * <pre>
 * items.raw.v1 ──┐                                   ┌─ dead letters ──▶ items.raw.v1.dlq
 *                │                                   ├─ accepted content ▶ items.catalog.v1
 *                ├─ merge ─▶ item-intake (item-state,┼─ SIDs/tombstones ▶ items.sid.v1
 * confirmations ─┘           item-pending)           └─ ASSIGN/RELEASE ─▶ repartition by prefix
 *       ▲                                                                      │
 *       └──────────── collision-codes (prefix-slots) ◀─────────────────────────┘
 * </pre>
 *
 * The item side (keyed by item id) is the only writer of an item's SID; the prefix side (keyed by
 * SID prefix) is the only place collision codes are decided. The confirmations topic must have as
 * many partitions as {@code items.raw.v1} (they share the item-side stores); {@code IngestMain}
 * creates it so.
 */
public final class ItemTopology {
    /** Names the items' hop: its repartition or relay topic and processors. */
    public static final String ITEMS_ROUTE = "items-by-id";

    private ItemTopology() {}

    /**
     * Where items come from and where their SIDs go.
     *
     * @param source items keyed by item id, tombstones delisting
     * @param sids the compacted SID table written
     * @param catalog whether accepted content is written to {@code items.catalog.v1}
     */
    public record Endpoints(String source, String sids, boolean catalog) {
        /** The serving SID space: producers' items, {@code items.sid.v1}, the catalog kept. */
        public static final Endpoints PRIMARY =
                new Endpoints(Topics.ITEMS.name(), Topics.ITEM_SIDS.name(), true);

        /**
         * Re-tokenization into another SID space: the catalog's latest content of every live item
         * (and every change after it), SIDs to that space's own topic; the catalog is only read.
         */
        public static Endpoints retokenizing(String sidSpace) {
            return new Endpoints(
                    Topics.ITEM_CATALOG.name(), Topics.spaceSids(sidSpace).name(), false);
        }
    }

    /**
     * Builds the topology; processors and stores are named, so names are stable across versions.
     */
    public static Topology build(
            ItemAssignmentSettings settings, SemanticEncoder assigner, ItemMetrics metrics) {
        return build(settings, assigner, metrics, Endpoints.PRIMARY);
    }

    /** Builds the topology between {@code endpoints}, embedding in the calling thread. */
    public static Topology build(
            ItemAssignmentSettings settings,
            SemanticEncoder assigner,
            ItemMetrics metrics,
            Endpoints endpoints) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(
                builder,
                settings,
                assigner,
                metrics,
                InputRouting.REPARTITION,
                0,
                Runnable::run,
                endpoints);
        return builder.build();
    }

    /**
     * Adds the SID assignment sub-topologies to a builder shared with other topologies.
     *
     * @param inputPartitions partitions of {@code items.raw.v1}, for the placement check of {@link
     *     InputRouting#AS_PRODUCED}; 0 if unknown
     * @param embedder where the model runs (off the stream threads in production)
     * @param endpoints the topics read and written
     */
    public static void addTo(
            StreamsBuilder builder,
            ItemAssignmentSettings settings,
            SemanticEncoder assigner,
            ItemMetrics metrics,
            InputRouting routing,
            int inputPartitions,
            Executor embedder,
            Endpoints endpoints) {
        builder.addStateStore(IngestStores.itemState());
        builder.addStateStore(IngestStores.itemPending());
        builder.addStateStore(IngestStores.prefixSlots());

        KStream<String, IntakeEvent> items =
                InputRoutes.route(
                                builder,
                                settings.applicationId(),
                                endpoints.source(),
                                "items-source",
                                ITEMS_ROUTE,
                                routing,
                                inputPartitions,
                                metrics.registry())
                        .mapValues(
                                bytes -> (IntakeEvent) new IntakeEvent.RawItem(bytes),
                                Named.as("wrap-item"));
        KStream<String, IntakeEvent> confirmations =
                builder.stream(
                                settings.confirmationsTopic(),
                                Consumed.with(
                                                Serdes.String(),
                                                InternalSchemas.serde(SidConfirmation.class))
                                        .withName("confirmations-source"))
                        .mapValues(
                                c -> (IntakeEvent) new IntakeEvent.Confirmation(c),
                                Named.as("wrap-confirmation"));

        KStream<String, IntakeOutput> intake =
                items.merge(confirmations, Named.as("intake-merge"))
                        .process(
                                () ->
                                        new ItemIntakeProcessor(
                                                assigner, settings, metrics, embedder),
                                Named.as("item-intake"),
                                IngestStores.ITEM_STATE,
                                IngestStores.ITEM_PENDING);

        Map<String, KStream<String, IntakeOutput>> routes =
                intake.split(Named.as("intake-"))
                        .branch(
                                (k, v) -> v instanceof IntakeOutput.Rejected,
                                Branched.as("rejected"))
                        .branch(
                                (k, v) -> v instanceof IntakeOutput.Assigned,
                                Branched.as("assigned"))
                        .branch(
                                (k, v) -> v instanceof IntakeOutput.Cataloged,
                                Branched.as("cataloged"))
                        .defaultBranch(Branched.as("commands"));

        routes.get("intake-rejected")
                .mapValues(
                        v -> ((IntakeOutput.Rejected) v).deadLetter(), Named.as("to-dead-letter"))
                .to(
                        Topics.ITEMS_DLQ.name(),
                        Produced.with(Topics.ITEMS_DLQ.keySerde(), Topics.ITEMS_DLQ.valueSerde())
                                .withName("items-dlq-sink"));
        routes.get("intake-assigned")
                .mapValues(v -> ((IntakeOutput.Assigned) v).sid(), Named.as("to-item-sid"))
                .to(
                        endpoints.sids(),
                        Produced.with(Topics.ITEM_SIDS.keySerde(), Topics.ITEM_SIDS.valueSerde())
                                .withName("item-sids-sink"));
        KStream<String, IntakeOutput> cataloged = routes.get("intake-cataloged");
        if (endpoints.catalog()) {
            cataloged
                    .mapValues(v -> ((IntakeOutput.Cataloged) v).value(), Named.as("to-catalog"))
                    .to(
                            Topics.ITEM_CATALOG.name(),
                            Produced.with(Serdes.String(), Serdes.ByteArray())
                                    .withName("item-catalog-sink"));
        }
        routes.get("intake-commands")
                .mapValues(v -> ((IntakeOutput.Command) v).command(), Named.as("to-prefix-command"))
                .repartition(
                        Repartitioned.<String, PrefixCommand>as("sid-prefix")
                                .withKeySerde(Serdes.String())
                                .withValueSerde(InternalSchemas.serde(PrefixCommand.class)))
                .process(
                        () -> new CollisionProcessor(assigner.collisionCodes()),
                        Named.as("collision-codes"),
                        IngestStores.PREFIX_SLOTS)
                .to(
                        settings.confirmationsTopic(),
                        Produced.with(Serdes.String(), InternalSchemas.serde(SidConfirmation.class))
                                .withStreamPartitioner(new ReplyPartitioner())
                                .withName("confirmations-sink"));
    }
}
