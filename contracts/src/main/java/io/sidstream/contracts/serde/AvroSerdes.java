package io.sidstream.contracts.serde;

import io.sidstream.contracts.ReleasedSchemaSet;
import org.apache.avro.specific.SpecificRecord;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Serdes for sidstream's Avro record types, one shared stateless instance per type. */
public final class AvroSerdes {
    private static final Map<List<Object>, AvroSerde<?>> SERDES = new ConcurrentHashMap<>();

    private AvroSerdes() {}

    /** The single-object-encoding serde for a generated record class. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> forType(Class<T> type) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        List.of(type), t -> new AvroSerde<>(new SingleObjectWireFormat<>(type)));
    }

    /**
     * The serde for a record type of an application's internal schema set: stores, changelogs and
     * internal topics, whose released versions stay readable like the public ones.
     */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> forType(
            Class<T> type, ReleasedSchemaSet released) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        List.of(type, released),
                        t -> new AvroSerde<>(new SingleObjectWireFormat<>(type, released)));
    }
}
