package io.sidstream.contracts;

import io.sidstream.contracts.serde.AvroSerdes;
import io.sidstream.contracts.serde.RegistryWireFormat;
import io.sidstream.contracts.serde.SchemaRegistry;
import io.sidstream.contracts.serde.SchemaRegistryClient;
import io.sidstream.contracts.serde.SingleObjectWireFormat;
import io.sidstream.contracts.serde.UnknownSchemaException;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry framing checked byte for byte against the published wire format (magic byte 0, a
 * 4-byte big-endian schema id, the plain Avro binary body), over an in-memory id mapping; the round
 * trip through a real registry server is {@code SchemaRegistryIT} in the deploy module.
 */
class RegistryWireFormatTest {
    static final InteractionEvent EVENT =
            InteractionEvent.newBuilder()
                    .setEventId("e-1")
                    .setUserId("u-1")
                    .setItemId("i-1")
                    .setEventType(InteractionType.CLICK)
                    .setValue(4.5)
                    .setEventTime(Instant.ofEpochMilli(1_362_096_000_000L))
                    .build();

    @AfterEach
    void backToTheDefault() {
        AvroSerdes.useSingleObject();
    }

    @Test
    void framesTheBodyAfterMagicByteZeroAndABigEndianSchemaIdUnderTheTopicsValueSubject() {
        InMemoryRegistry registry = new InMemoryRegistry(0x01020304);
        RegistryWireFormat<InteractionEvent> format =
                registryFormat(InteractionEvent.class, registry);

        byte[] bytes = format.encode("users.events.v1", EVENT);

        assertThat(Arrays.copyOf(bytes, 5)).containsExactly(0, 1, 2, 3, 4);
        // The body is the same Avro binary single-object encoding carries after its 10 bytes.
        byte[] singleObject = new SingleObjectWireFormat<>(InteractionEvent.class).encode(EVENT);
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length))
                .containsExactly(Arrays.copyOfRange(singleObject, 10, singleObject.length));
        assertThat(registry.subjects).containsExactly("users.events.v1-value");
        assertThat(format.decode(bytes)).isEqualTo(EVENT);
    }

    @Test
    void resolvesAnOlderWriterSchemaFetchedByIdToTheCurrentOne() throws Exception {
        InMemoryRegistry registry = new InMemoryRegistry(7);
        Schema current = InteractionEvent.getClassSchema();
        // An older producer's schema: no optional value field.
        Schema older =
                new Schema.Parser()
                        .parse(
                                current.toString()
                                        .replaceFirst(
                                                "\\{\"name\":\"value\",\"type\":\\[\"null\",\"double\"\\],"
                                                        + "\"doc\":\"[^\"]*\",\"default\":null\\},",
                                                ""));
        assertThat(older.getField("value")).isNull();
        int id = registry.register("users.events.v1-value", older);
        GenericRecord old = new GenericData.Record(older);
        old.put("eventId", "e-2");
        old.put("userId", "u-2");
        old.put("itemId", "i-2");
        old.put(
                "eventType",
                new GenericData.EnumSymbol(older.getField("eventType").schema(), "LIKE"));
        old.put("eventTime", 1_362_096_000_000L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(
                new byte[] {
                    0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id
                });
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(older).write(old, encoder);
        encoder.flush();

        InteractionEvent read =
                registryFormat(InteractionEvent.class, registry).decode(out.toByteArray());

        assertThat(read.getEventId()).isEqualTo("e-2");
        assertThat(read.getEventType()).isEqualTo(InteractionType.LIKE);
        assertThat(read.getValue()).isNull();
    }

    @Test
    void readsSingleObjectRecordsSoATopicCanSwitchFormatsWithoutDraining() {
        byte[] legacy = new SingleObjectWireFormat<>(InteractionEvent.class).encode(EVENT);
        assertThat(registryFormat(InteractionEvent.class, new InMemoryRegistry(1)).decode(legacy))
                .isEqualTo(EVENT);
    }

    @Test
    void refusesUnknownIdsOtherRecordTypesAndBrokenFramesAsRecordErrors() {
        InMemoryRegistry registry = new InMemoryRegistry(40);
        RegistryWireFormat<InteractionEvent> format =
                registryFormat(InteractionEvent.class, registry);
        byte[] good = format.encode("users.events.v1", EVENT);

        byte[] unknownId = good.clone();
        unknownId[4] = 99;
        assertThatThrownBy(() -> format.decode(unknownId))
                .isInstanceOf(UnknownSchemaException.class)
                .hasMessageContaining("99");

        int sidId = registry.register("items.sid.v1-value", ItemSid.getClassSchema());
        byte[] otherType = good.clone();
        otherType[4] = (byte) sidId;
        assertThatThrownBy(() -> format.decode(otherType))
                .isInstanceOf(UnknownSchemaException.class)
                .hasMessageContaining("ItemSid");

        assertThatThrownBy(() -> format.decode(Arrays.copyOf(good, good.length - 3)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> format.decode(new byte[] {7, 0, 0, 0, 1, 2}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("magic byte 0");
        assertThatThrownBy(() -> format.decode(new byte[] {0, 0}))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void publicSerdesWriteTheSelectedFormatAndNameTheSettingWhenTheyMeetTheOther() {
        var serde = Topics.INTERACTIONS.valueSerde();
        byte[] singleObject = serde.serializer().serialize(Topics.INTERACTIONS.name(), EVENT);
        assertThat(singleObject[0]).isEqualTo((byte) 0xC3);

        InMemoryRegistry registry = new InMemoryRegistry(12);
        AvroSerdes.useRegistry(registry);
        byte[] framed = serde.serializer().serialize(Topics.INTERACTIONS.name(), EVENT);
        assertThat(framed[0]).isZero();
        assertThat(RegistryWireFormat.schemaIdOf(framed)).isEqualTo(12);
        assertThat(serde.deserializer().deserialize(Topics.INTERACTIONS.name(), singleObject))
                .isEqualTo(EVENT);
        assertThat(serde.deserializer().deserialize(Topics.INTERACTIONS.name(), framed))
                .isEqualTo(EVENT);

        AvroSerdes.useSingleObject();
        assertThatThrownBy(
                        () -> serde.deserializer().deserialize(Topics.INTERACTIONS.name(), framed))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("SIDSTREAM_WIRE_FORMAT=registry");
    }

    @Test
    void anUnreachableRegistryIsNotARecordErrorSoNothingIsDeadLetteredForIt() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        SchemaRegistryClient client =
                new SchemaRegistryClient(
                        URI.create("http://127.0.0.1:" + closedPort),
                        null,
                        Duration.ofSeconds(2),
                        2);
        RegistryWireFormat<InteractionEvent> format =
                registryFormat(InteractionEvent.class, client);
        byte[] framed = {0, 0, 0, 0, 5, 2, 'e'};

        assertThatThrownBy(() -> format.encode("users.events.v1", EVENT))
                .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class)
                .isNotInstanceOf(SerializationException.class)
                .hasMessageContaining("2 attempts");
        assertThatThrownBy(() -> format.decode(framed))
                .isInstanceOf(SchemaRegistryClient.RegistryUnavailableException.class)
                .isNotInstanceOf(SerializationException.class);
    }

    private static <T extends org.apache.avro.specific.SpecificRecord>
            RegistryWireFormat<T> registryFormat(Class<T> type, SchemaRegistry registry) {
        return new RegistryWireFormat<>(type, registry, new SingleObjectWireFormat<>(type));
    }

    /** Ids handed out in order from {@code first}, one per distinct schema, as a registry does. */
    static final class InMemoryRegistry implements SchemaRegistry {
        final List<String> subjects = new ArrayList<>();
        private final Map<Integer, Schema> byId = new HashMap<>();
        private final Map<Schema, Integer> ids = new HashMap<>();
        private int next;

        InMemoryRegistry(int first) {
            this.next = first;
        }

        @Override
        public synchronized int register(String subject, Schema schema) {
            subjects.add(subject);
            return ids.computeIfAbsent(
                    schema,
                    s -> {
                        byId.put(next, s);
                        return next++;
                    });
        }

        @Override
        public synchronized Schema schemaById(int id) {
            Schema s = byId.get(id);
            if (s == null) {
                throw new UnknownSchemaException("no schema with id " + id, null);
            }
            return s;
        }
    }
}
