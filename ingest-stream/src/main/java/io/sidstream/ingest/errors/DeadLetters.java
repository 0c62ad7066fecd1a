package io.sidstream.ingest.errors;

import io.sidstream.schemas.v1.DeadLetter;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Builds dead-letter records with provenance (topic, partition, offset, original bytes). */
public final class DeadLetters {
    private DeadLetters() {}

    /** A dead letter for a record read from a topic. */
    public static DeadLetter of(
            RecordMetadata source,
            String fallbackTopic,
            String key,
            byte[] value,
            String errorClass,
            String explanation,
            String application,
            Instant now) {
        return DeadLetter.newBuilder()
                .setSourceTopic(source != null ? source.topic() : fallbackTopic)
                .setPartition(source != null ? source.partition() : -1)
                .setOffset(source != null ? source.offset() : -1L)
                .setKey(key == null ? null : ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setErrorClass(errorClass)
                .setReason(explanation)
                .setApplication(application)
                .setFailedAt(now)
                .build();
    }
}
