package io.sidstream.ingest.processor;

import io.micrometer.core.instrument.Counter;
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
 * Keeps the global {@code item-sid-index} store equal to {@code items.sid.v1}'s SIDs of this
 * instance's bundle. Decodes itself, so an unreadable record is skipped with a warning instead of
 * stopping the global thread. A SID space belongs to one bundle: a record another bundle wrote (a
 * second deployment rolling out, a stale producer) is skipped and counted, never resolved into a
 * history; tombstones apply whatever bundle wrote the SID they delete.
 */
public final class ItemSidIndexUpdater implements Processor<String, byte[], Void, Void> {
    private static final Logger LOG = LoggerFactory.getLogger(ItemSidIndexUpdater.class);

    private final String storeName;
    private final String bundleVersion;
    private final Counter foreign;
    private KeyValueStore<String, ItemSid> store;

    public ItemSidIndexUpdater(String storeName, String bundleVersion, Counter foreign) {
        this.storeName = storeName;
        this.bundleVersion = java.util.Objects.requireNonNull(bundleVersion, "bundleVersion");
        this.foreign = foreign;
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
            ItemSid sid =
                    Topics.ITEM_SIDS
                            .valueSerde()
                            .deserializer()
                            .deserialize(Topics.ITEM_SIDS.name(), record.value());
            if (!bundleVersion.equals(sid.getModelVersion())) {
                foreign.increment();
                LOG.debug(
                        "skipping SID of item {} from bundle {} (this instance is {})",
                        record.key(),
                        sid.getModelVersion(),
                        bundleVersion);
                return;
            }
            store.put(record.key(), sid);
        } catch (SerializationException e) {
            LOG.warn("skipping unreadable SID record of item {}: {}", record.key(), e.getMessage());
        }
    }
}
