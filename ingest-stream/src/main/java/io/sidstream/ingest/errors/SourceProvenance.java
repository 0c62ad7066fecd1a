package io.sidstream.ingest.errors;

import io.sidstream.platform.errors.Provenance;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Provenance of the record a processor is handling. A record re-keyed through a repartition topic
 * carries its original position in headers (stamped before the hop), so a dead letter names the
 * input topic, partition and offset the producer wrote to.
 */
public final class SourceProvenance {
    static final String TOPIC = "sidstream.source.topic";
    static final String PARTITION = "sidstream.source.partition";
    static final String OFFSET = "sidstream.source.offset";

    private SourceProvenance() {}

    /**
     * Records the source position in {@code headers} at the first hop, replacing any that a
     * producer copied in (a dead letter re-produced with its headers): downstream, the position
     * names this record and de-duplicates the relay's replays, so a stale one must not survive.
     */
    public static void stamp(Headers headers, String topic, int partition, long offset) {
        headers.remove(TOPIC);
        headers.remove(PARTITION);
        headers.remove(OFFSET);
        headers.add(TOPIC, topic.getBytes(StandardCharsets.UTF_8));
        headers.add(PARTITION, ByteBuffer.allocate(4).putInt(partition).array());
        headers.add(OFFSET, ByteBuffer.allocate(8).putLong(offset).array());
    }

    /**
     * The current record's topic/partition/offset when it was read from {@code expectedTopic},
     * directly or through a stamped hop; otherwise (a punctuation, or a record merged from another
     * topic) the topic with unknown position, never a position that belongs to another record.
     */
    public static Provenance of(ProcessingContext context, Headers headers, String expectedTopic) {
        if (headers != null) {
            Header topic = headers.lastHeader(TOPIC);
            Header partition = headers.lastHeader(PARTITION);
            Header offset = headers.lastHeader(OFFSET);
            if (topic != null
                    && partition != null
                    && offset != null
                    && partition.value().length == 4
                    && offset.value().length == 8
                    && expectedTopic.equals(new String(topic.value(), StandardCharsets.UTF_8))) {
                return new Provenance(
                        expectedTopic,
                        ByteBuffer.wrap(partition.value()).getInt(),
                        ByteBuffer.wrap(offset.value()).getLong());
            }
        }
        RecordMetadata metadata = context.recordMetadata().orElse(null);
        if (metadata != null && expectedTopic.equals(metadata.topic())) {
            return new Provenance(metadata.topic(), metadata.partition(), metadata.offset());
        }
        return Provenance.unknown(expectedTopic);
    }
}
