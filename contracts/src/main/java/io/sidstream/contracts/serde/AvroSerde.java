package io.sidstream.contracts.serde;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Map;
import java.util.Objects;

/**
 * A Kafka {@link Serde} for one record type over a {@link WireFormat}. {@code null} stays {@code
 * null} in both directions so tombstones pass through. Decoding failures surface as {@link
 * org.apache.kafka.common.errors.SerializationException}, which Kafka Streams routes to its
 * deserialization exception handler (and from there to a dead-letter topic). Thread-safe.
 */
public final class AvroSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {
    private final WireFormat<T> format;

    /** A serde over the given wire format. */
    public AvroSerde(WireFormat<T> format) {
        this.format = Objects.requireNonNull(format, "format");
    }

    /** The record type of this serde. */
    public Class<T> type() {
        return format.type();
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : format.encode(topic, data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : format.decode(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Nothing to configure: the wire format is fixed at construction.
    }

    @Override
    public void close() {
        // Stateless: nothing to release, and the serde may be shared by many clients.
    }
}
