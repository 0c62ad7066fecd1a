package io.sidstream.ingest.processor;

import io.sidstream.contracts.Topics;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code item-sid-index} store equal to {@code items.sid.v1}. Decodes itself, so
 * an unreadable record is skipped with a warning instead of stopping the global thread.
 */
public final class ItemSidIndexUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(ItemSidIndexUpdater.class);

    private final String storeName;
    private KeyValueStore<String, ItemSid> store;

    public ItemSidIndexUpdater(String storeName) {
        this.storeName = storeName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
            return;
        }
        try {
            store.put(
                    record.key(),
                    Topics.ITEM_SIDS
                            .valueSerde()
                            .deserializer()
                            .deserialize(Topics.ITEM_SIDS.name(), record.value()));
        } catch (SerializationException e) {
            LOG.warn("skipping unreadable SID record of item {}: {}", record.key(), e.getMessage());
        }
    }
}
