package io.sidstream.ingest.topology;

import io.micrometer.core.instrument.Counter;
import io.sidstream.ingest.errors.SourceProvenance;
import io.sidstream.platform.errors.Provenance;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Drops the at-least-once relay's replays before the owner sees them. The relay copies a source
 * partition in order, so for one key and one source partition the source offsets an owner receives
 * only grow, except where the relay replays after a crash: a record whose source offset is not
 * above the last one applied for its key and source partition was applied already. The position
 * lives in a changelogged store updated in the owner's transaction, so under exactly_once_v2 the
 * record's effects and its position commit together. Under at_least_once it passes everything.
 *
 * <p>Records without a source position (written to the relay topic by something else) pass
 * unchecked. Recreating the input topic restarts its offsets: reset the application with it
 * (Kafka's streams application reset tool), as for any Kafka Streams input topic.
 */
final class RelayDedupe implements FixedKeyProcessor<String, byte[], byte[]> {
    private final String sourceTopic;
    private final String storeName;
    private final Counter replays;
    private FixedKeyProcessorContext<String, byte[]> context;
    private KeyValueStore<String, Long> positions;
    private boolean exactlyOnce;

    RelayDedupe(String sourceTopic, String storeName, Counter replays) {
        this.sourceTopic = sourceTopic;
        this.storeName = storeName;
        this.replays = replays;
    }

    static StoreBuilder<KeyValueStore<String, Long>> store(String name) {
        return Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.Long());
    }

    @Override
    public void init(FixedKeyProcessorContext<String, byte[]> context) {
        this.context = context;
        this.positions = context.getStateStore(storeName);
        // Under at_least_once a restored position can be ahead of outputs that never landed:
        // dropping the replay would lose them. The owners' own idempotence (event ids, content
        // hashes) absorbs the replays there, as it absorbs any at-least-once redelivery.
        this.exactlyOnce =
                StreamsConfig.EXACTLY_ONCE_V2.equals(
                        context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    @Override
    public void process(FixedKeyRecord<String, byte[]> record) {
        if (!exactlyOnce) {
            context.forward(record);
            return;
        }
        Provenance source = SourceProvenance.of(context, record.headers(), sourceTopic);
        if (source.partition() < 0) {
            context.forward(record);
            return;
        }
        // The partition is a trailing decimal after a separator no id needs, so no two (key,
        // partition) pairs share a store key.
        String position =
                (record.key() == null ? "" : record.key()) + '\u0000' + source.partition();
        Long applied = positions.get(position);
        if (applied != null && source.offset() <= applied) {
            replays.increment();
            return;
        }
        positions.put(position, source.offset());
        context.forward(record);
    }
}
