package io.sidstream.ingest.store;

import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.ingest.v1.HistoryState;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.ingest.v1.PendingInteractions;
import io.sidstream.ingest.v1.PendingItem;
import io.sidstream.ingest.v1.PrefixSlots;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Names and builders of ingest-stream's state stores. All are persistent RocksDB stores with a
 * changelog, so state survives restarts and moves with its task on rebalance.
 */
public final class IngestStores {
    /** item id -> {@link ItemState}; also serves GET /items/{id}/sid. */
    public static final String ITEM_STATE = "item-state";

    /** item id -> {@link PendingItem} waiting for the next embedding micro-batch. */
    public static final String ITEM_PENDING = "item-pending";

    /** SID prefix -> {@link PrefixSlots}: the collision codes held in that prefix. */
    public static final String PREFIX_SLOTS = "prefix-slots";

    /** user id -> {@link HistoryState}: the user's last N interactions (item ids). */
    public static final String USER_HISTORY = "user-history";

    /** user id -> {@link PendingInteractions} waiting for their items' SIDs. */
    public static final String USER_PENDING = "user-pending";

    /**
     * Global: item id -> {@link ItemSid}, a full copy of {@code items.sid.v1} on every instance.
     */
    public static final String ITEM_SID_INDEX = "item-sid-index";

    /** user id -> epoch ms when the user's debounced retrieval request is due. */
    public static final String USER_REQUEST_DUE = "user-request-due";

    private IngestStores() {}

    public static StoreBuilder<KeyValueStore<String, HistoryState>> userHistory() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(USER_HISTORY),
                Serdes.String(),
                InternalSchemas.serde(HistoryState.class));
    }

    public static StoreBuilder<KeyValueStore<String, PendingInteractions>> userPending() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(USER_PENDING),
                Serdes.String(),
                InternalSchemas.serde(PendingInteractions.class));
    }

    public static StoreBuilder<KeyValueStore<String, Long>> userRequestDue() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(USER_REQUEST_DUE), Serdes.String(), Serdes.Long());
    }

    /**
     * Global stores restore from their source topic, so no changelog. Restoring reprocesses every
     * record through {@code ItemSidIndexUpdater}, which decodes it in the topic's wire format; the
     * store itself keeps single-object bytes whatever that format is.
     */
    public static StoreBuilder<KeyValueStore<String, ItemSid>> itemSidIndex() {
        return Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(ITEM_SID_INDEX),
                        Serdes.String(),
                        AvroSerdes.singleObject(ItemSid.class))
                .withLoggingDisabled();
    }

    public static StoreBuilder<KeyValueStore<String, ItemState>> itemState() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ITEM_STATE),
                Serdes.String(),
                InternalSchemas.serde(ItemState.class));
    }

    public static StoreBuilder<KeyValueStore<String, PendingItem>> itemPending() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ITEM_PENDING),
                Serdes.String(),
                InternalSchemas.serde(PendingItem.class));
    }

    public static StoreBuilder<KeyValueStore<String, PrefixSlots>> prefixSlots() {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PREFIX_SLOTS),
                Serdes.String(),
                InternalSchemas.serde(PrefixSlots.class));
    }

    /** The record key of an SID prefix, e.g. {@code "17.203.5"}. */
    public static String prefixKey(java.util.List<Integer> codes) {
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < codes.size(); i++) {
            if (i > 0) {
                key.append('.');
            }
            key.append(codes.get(i));
        }
        return key.toString();
    }
}
