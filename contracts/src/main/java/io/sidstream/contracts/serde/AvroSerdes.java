package io.sidstream.contracts.serde;

import org.apache.avro.specific.SpecificRecord;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Serdes for sidstream's Avro record types, one shared stateless instance per type. */
public final class AvroSerdes {
    private static final Map<Class<?>, AvroSerde<?>> SERDES = new ConcurrentHashMap<>();

    private AvroSerdes() {}

    /** The single-object-encoding serde for a generated record class. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> AvroSerde<T> forType(Class<T> type) {
        return (AvroSerde<T>)
                SERDES.computeIfAbsent(
                        type, t -> new AvroSerde<>(new SingleObjectWireFormat<>(type)));
    }
}
