package io.sidstream.ingest.store;

import io.sidstream.contracts.ReleasedSchemaSet;
import io.sidstream.contracts.serde.AvroSerde;
import io.sidstream.contracts.serde.AvroSerdes;
import org.apache.avro.specific.SpecificRecord;

import java.util.List;

/**
 * ingest-stream's internal schemas ({@code io.sidstream.ingest.v1}: store values, changelogs, the
 * prefix repartition topic and the confirmations loop) are released like the public contracts:
 * RocksDB and changelogs outlive a deployment, so a new build must read what the old one wrote.
 * Every change stays backward compatible with each release here (the compatibility and golden-bytes
 * tests check it); to release, copy {@code src/main/avro/*.avsc} into a new numbered folder under
 * {@code src/main/resources/io/sidstream/ingest/released/} and append it below.
 */
public final class InternalSchemas {
    /** Released sets, oldest first. */
    public static final List<String> RELEASES = List.of("1");

    /** Every internal type, in parse order. */
    public static final List<String> FILES =
            List.of(
                    "HistoryState",
                    "ItemState",
                    "PendingInteractions",
                    "PendingItem",
                    "PrefixCommand",
                    "PrefixSlots",
                    "SidConfirmation");

    public static final ReleasedSchemaSet SET =
            new ReleasedSchemaSet("/io/sidstream/ingest/released", RELEASES, FILES);

    private InternalSchemas() {}

    /** The serde of an internal type: writes the current schema, reads every released one. */
    public static <T extends SpecificRecord> AvroSerde<T> serde(Class<T> type) {
        return AvroSerdes.forType(type, SET);
    }
}
