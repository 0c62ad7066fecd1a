package io.sidstream.platform.errors;

import io.sidstream.contracts.TopicSpec;
import io.sidstream.contracts.serde.UnknownSchemaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The one way every processor and loop reads a record value of a catalogued topic: the value either
 * decodes or comes back as a {@link Failed} with a reason ready for a dead letter. It never throws
 * for bad bytes, so one record cannot stop a stream thread.
 */
public final class RecordDecoder<V> {
    private final String topic;
    private final Deserializer<V> deserializer;

    private RecordDecoder(String topic, Deserializer<V> deserializer) {
        this.topic = topic;
        this.deserializer = deserializer;
    }

    public static <V> RecordDecoder<V> of(TopicSpec<?, V> topic) {
        return new RecordDecoder<>(topic.name(), topic.valueSerde().deserializer());
    }

    /** The outcome of decoding one value. */
    public sealed interface Result<V> permits Decoded, Failed {}

    /** The value, decoded; {@code null} only for a tombstone. */
    public record Decoded<V>(V value) implements Result<V> {}

    /** Why the bytes are not a record of the topic. */
    public record Failed<V>(DecodeFailure reason, String explanation) implements Result<V> {}

    public Result<V> decode(byte[] bytes) {
        if (bytes == null) {
            return new Decoded<>(null);
        }
        try {
            return new Decoded<>(deserializer.deserialize(topic, bytes));
        } catch (UnknownSchemaException e) {
            return new Failed<>(DecodeFailure.UNKNOWN_SCHEMA_VERSION, e.getMessage());
        } catch (SerializationException e) {
            return new Failed<>(DecodeFailure.UNDECODABLE, e.getMessage());
        }
    }
}
