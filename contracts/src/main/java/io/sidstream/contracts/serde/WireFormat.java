package io.sidstream.contracts.serde;

/**
 * How a record becomes bytes on a topic and back. The default is Avro single-object encoding
 * ({@link SingleObjectWireFormat}); a schema-registry format (schema id in the header, writer
 * schemas fetched from a registry) is another implementation of this interface and needs no change
 * to topics or applications beyond the serde factory.
 *
 * <p>Implementations are thread-safe.
 */
public interface WireFormat<T> {

    /** The record type this format reads and writes. */
    Class<T> type();

    /** Encodes a non-null record. */
    byte[] encode(T record);

    /**
     * Decodes bytes written by any known writer schema, resolving them to the current reader
     * schema.
     *
     * @throws org.apache.kafka.common.errors.SerializationException when the bytes are not a record
     *     of this type (bad header, unknown schema, truncated or corrupt body)
     */
    T decode(byte[] bytes);
}
