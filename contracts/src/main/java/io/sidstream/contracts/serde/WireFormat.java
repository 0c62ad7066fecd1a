package io.sidstream.contracts.serde;

/**
 * How a record becomes bytes on a topic and back: Avro single-object encoding ({@link
 * SingleObjectWireFormat}, the default) or the schema-registry framing ({@link
 * RegistryWireFormat}); {@link AvroSerdes} selects one per process.
 *
 * <p>Implementations are thread-safe.
 */
public interface WireFormat<T> {

    /** The record type this format reads and writes. */
    Class<T> type();

    /** Encodes a non-null record. */
    byte[] encode(T record);

    /** Encodes a non-null record bound for {@code topic} (registry subjects are per topic). */
    default byte[] encode(String topic, T record) {
        return encode(record);
    }

    /**
     * Decodes bytes written by any known writer schema, resolving them to the current reader
     * schema.
     *
     * @throws org.apache.kafka.common.errors.SerializationException when the bytes are not a record
     *     of this type (bad header, unknown schema, truncated or corrupt body)
     */
    T decode(byte[] bytes);
}
