package io.sidstream.ingest.errors;

import io.sidstream.platform.errors.Provenance;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Provenance of the record a processor is handling, if it came from {@code expectedTopic}. */
public final class SourceProvenance {
    private SourceProvenance() {}

    /**
     * The current record's topic/partition/offset when it was read from {@code expectedTopic};
     * otherwise (a punctuation, or a record merged from another topic) the topic with unknown
     * position, never a position that belongs to some other record.
     */
    public static Provenance of(ProcessingContext context, String expectedTopic) {
        RecordMetadata metadata = context.recordMetadata().orElse(null);
        if (metadata != null && expectedTopic.equals(metadata.topic())) {
            return new Provenance(metadata.topic(), metadata.partition(), metadata.offset());
        }
        return Provenance.unknown(expectedTopic);
    }
}
