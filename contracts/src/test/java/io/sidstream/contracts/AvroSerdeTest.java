package io.sidstream.contracts;

import io.sidstream.contracts.serde.AvroSerde;
import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroSerdeTest {

    @Test
    void shouldRoundTripEveryTopicValueType() {
        for (Map.Entry<String, SpecificRecord> sample : SampleRecords.all().entrySet()) {
            AvroSerde<SpecificRecord> serde = serdeOf(sample.getValue());
            byte[] bytes = serde.serialize("t", sample.getValue());
            assertThat(serde.deserialize("t", bytes))
                    .as(sample.getKey())
                    .isEqualTo(sample.getValue());
        }
    }

    @Test
    void shouldWriteTheSingleObjectHeader() {
        byte[] bytes = AvroSerdes.forType(ItemEvent.class).serialize("t", SampleRecords.item());
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(bytes.length).isGreaterThan(10);
    }

    @Test
    void shouldPassTombstonesThrough() {
        AvroSerde<ItemEvent> serde = AvroSerdes.forType(ItemEvent.class);
        assertThat(serde.serialize("t", null)).isNull();
        assertThat(serde.deserialize("t", null)).isNull();
    }

    @Test
    void shouldRejectBytesWithoutTheHeader() {
        byte[] garbage = "hello, not avro".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> AvroSerdes.forType(ItemEvent.class).deserialize("t", garbage))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not an Avro single-object encoded ItemEvent");
    }

    @Test
    void shouldNameTheUnknownFingerprintOfAnotherType() {
        byte[] sidBytes = AvroSerdes.forType(ItemSid.class).serialize("t", SampleRecords.itemSid());
        assertThatThrownBy(() -> AvroSerdes.forType(ItemEvent.class).deserialize("t", sidBytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("no known ItemEvent schema has the fingerprint");
    }

    @Test
    void shouldRejectATruncatedBody() {
        byte[] bytes = AvroSerdes.forType(ItemEvent.class).serialize("t", SampleRecords.item());
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 5);
        assertThatThrownBy(() -> AvroSerdes.forType(ItemEvent.class).deserialize("t", truncated))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("corrupt or truncated ItemEvent");
    }

    @SuppressWarnings("unchecked")
    static AvroSerde<SpecificRecord> serdeOf(SpecificRecord record) {
        return (AvroSerde<SpecificRecord>) (AvroSerde<?>) AvroSerdes.forType(record.getClass());
    }
}
