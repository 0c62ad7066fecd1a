package io.sidstream.contracts;

import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.common.serialization.Serdes;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The topic catalogue: every topic sidstream reads or writes, declared once. Applications, tests,
 * the local launcher and the Kubernetes manifests all take names, partitions, cleanup policies and
 * retention from here.
 *
 * <p>Every key is a UTF-8 string (item id, user id). Every value is Avro single-object encoded.
 */
public final class Topics {
    /** Partitions of the high-volume topics; the upper bound on consumer parallelism. */
    public static final int DEFAULT_PARTITIONS = 6;

    private static final Duration WEEK = Duration.ofDays(7);
    private static final Duration DEAD_LETTER_RETENTION = Duration.ofDays(30);

    /** Items listed or changed; tombstones delist. Input of SID assignment. */
    public static final TopicSpec<String, ItemEvent> ITEMS =
            new TopicSpec<>(
                    "items.raw.v1",
                    Serdes.String(),
                    AvroSerdes.forType(ItemEvent.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.DELETE,
                    WEEK,
                    "Item listed/updated events keyed by item id; null value delists.");

    /** Current SID of every live item (compacted table). Output of SID assignment. */
    public static final TopicSpec<String, ItemSid> ITEM_SIDS =
            new TopicSpec<>(
                    "items.sid.v1",
                    Serdes.String(),
                    AvroSerdes.forType(ItemSid.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.COMPACT,
                    null,
                    "Item id -> current Semantic ID; tombstone when delisted.");

    /** Prefix of the SID topic of a SID space rolled out beside the one on {@code items.sid.v1}. */
    public static final String SPACE_SIDS_PREFIX = "items.sid.v1.";

    /**
     * The SIDs of every live item in another SID space (a bundle with its own RQ-VAE, rolled out
     * blue/green next to the one on {@code items.sid.v1}): same records, written by an
     * ingest-stream re-tokenizing {@code items.catalog.v1}, read by the retrieval instances of that
     * bundle.
     *
     * @throws IllegalArgumentException when the space's name cannot be part of a topic name
     */
    public static TopicSpec<String, ItemSid> spaceSids(String sidSpace) {
        String name = SPACE_SIDS_PREFIX + sidSpace;
        if (name.length() > 249 || !sidSpace.matches("[A-Za-z0-9_-]+") || sidSpace.equals("dlq")) {
            throw new IllegalArgumentException(
                    "SID space "
                            + sidSpace
                            + " cannot name a topic ([A-Za-z0-9_-], 1..236 chars, not dlq)");
        }
        return new TopicSpec<>(
                name,
                Serdes.String(),
                AvroSerdes.forType(ItemSid.class),
                DEFAULT_PARTITIONS,
                CleanupPolicy.COMPACT,
                null,
                "Item id -> current Semantic ID in SID space "
                        + sidSpace
                        + "; tombstone when delisted.");
    }

    /**
     * The latest accepted content of every live item (compacted table), written by SID assignment
     * with the item's own bytes: a new RQ-VAE re-tokenizes the whole catalog from it without any
     * producer sending anything again, long after {@code items.raw.v1}'s retention.
     */
    public static final TopicSpec<String, ItemEvent> ITEM_CATALOG =
            new TopicSpec<>(
                    "items.catalog.v1",
                    Serdes.String(),
                    AvroSerdes.forType(ItemEvent.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.COMPACT,
                    null,
                    "Item id -> latest accepted item event (text or vector), as produced;"
                            + " tombstone when delisted. What re-tokenization reads.");

    /** User-item interactions keyed by user id. Input of the history builder. */
    public static final TopicSpec<String, InteractionEvent> INTERACTIONS =
            new TopicSpec<>(
                    "users.events.v1",
                    Serdes.String(),
                    AvroSerdes.forType(InteractionEvent.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.DELETE,
                    WEEK,
                    "Interaction events keyed by user id.");

    /** Latest SID history per user (compacted table). */
    public static final TopicSpec<String, UserHistory> USER_HISTORIES =
            new TopicSpec<>(
                    "users.history.v1",
                    Serdes.String(),
                    AvroSerdes.forType(UserHistory.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.COMPACT,
                    null,
                    "User id -> last N interactions as SIDs.");

    /** Requests for candidates; input of the retrieval server. */
    public static final TopicSpec<String, RetrievalRequest> RETRIEVAL_REQUESTS =
            new TopicSpec<>(
                    "retrieval.requests.v1",
                    Serdes.String(),
                    AvroSerdes.forType(RetrievalRequest.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.DELETE,
                    Duration.ofDays(1),
                    "Retrieval requests keyed by user id.");

    /** Ranked candidates; output of the retrieval server. */
    public static final TopicSpec<String, Recommendations> RECOMMENDATIONS =
            new TopicSpec<>(
                    "recs.results.v1",
                    Serdes.String(),
                    AvroSerdes.forType(Recommendations.class),
                    DEFAULT_PARTITIONS,
                    CleanupPolicy.DELETE,
                    Duration.ofDays(1),
                    "Recommendation lists keyed by user id.");

    /** Rejected item events with the reason. */
    public static final TopicSpec<String, DeadLetter> ITEMS_DLQ = deadLetterTopic(ITEMS);

    /** Rejected interaction events with the reason. */
    public static final TopicSpec<String, DeadLetter> INTERACTIONS_DLQ =
            deadLetterTopic(INTERACTIONS);

    /** Rejected retrieval requests with the reason. */
    public static final TopicSpec<String, DeadLetter> RETRIEVAL_REQUESTS_DLQ =
            deadLetterTopic(RETRIEVAL_REQUESTS);

    private static final List<TopicSpec<?, ?>> ALL =
            List.of(
                    ITEMS,
                    ITEM_SIDS,
                    ITEM_CATALOG,
                    INTERACTIONS,
                    USER_HISTORIES,
                    RETRIEVAL_REQUESTS,
                    RECOMMENDATIONS,
                    ITEMS_DLQ,
                    INTERACTIONS_DLQ,
                    RETRIEVAL_REQUESTS_DLQ);

    private Topics() {}

    /** Every topic of the system, inputs first. */
    public static List<TopicSpec<?, ?>> all() {
        return ALL;
    }

    /** The catalogue entry with this name, if any. */
    public static Optional<TopicSpec<?, ?>> byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    private static TopicSpec<String, DeadLetter> deadLetterTopic(TopicSpec<?, ?> source) {
        return new TopicSpec<>(
                source.name() + ".dlq",
                Serdes.String(),
                AvroSerdes.forType(DeadLetter.class),
                1,
                CleanupPolicy.DELETE,
                DEAD_LETTER_RETENTION,
                "Records of " + source.name() + " that could not be processed, with the reason.");
    }
}
