package io.sidstream.contracts.serde;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The framing registry-aware Kafka clients use: magic byte {@code 0}, the writer schema's 4-byte
 * big-endian global id in a schema registry, then the Avro binary body. Writers register their
 * schema under the topic's value subject ({@code <topic>-value}, the default "topic name" strategy)
 * and cache the id; readers fetch writer schemas by id and resolve them to the current one.
 *
 * <p>Records in single-object encoding stay readable, so a topic can switch formats without being
 * drained first.
 */
public final class RegistryWireFormat<T extends SpecificRecord> implements WireFormat<T> {
    /** The first byte of every registry-framed record. */
    public static final byte MAGIC = 0;

    static final int HEADER = 5;

    private final Class<T> type;
    private final SchemaRegistry registry;
    private final SingleObjectWireFormat<T> singleObject;
    private final SpecificData model;
    private final Schema current;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readerById = new ConcurrentHashMap<>();

    public RegistryWireFormat(
            Class<T> type, SchemaRegistry registry, SingleObjectWireFormat<T> singleObject) {
        this.type = type;
        this.registry = registry;
        this.singleObject = singleObject;
        TrustedPackages.ensureTrusted();
        this.model = SpecificData.getForClass(type);
        this.current = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(current, model);
    }

    /** The registry this format resolves ids with. */
    SchemaRegistry registry() {
        return registry;
    }

    /** The registry subject of values on {@code topic}. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    @Override
    public Class<T> type() {
        return type;
    }

    /** Without a topic the subject is the record's full name (the "record name" strategy). */
    @Override
    public byte[] encode(T record) {
        return encodeUnder(current.getFullName(), record);
    }

    @Override
    public byte[] encode(String topic, T record) {
        return encodeUnder(topic == null ? current.getFullName() : valueSubject(topic), record);
    }

    /** The id this format writes under {@code subject}, registering the schema if needed. */
    public int schemaId(String subject) {
        return idBySubject.computeIfAbsent(subject, s -> registry.register(s, current));
    }

    private byte[] encodeUnder(String subject, T record) {
        int id = schemaId(subject);
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.write(MAGIC);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | AvroRuntimeException | NullPointerException e) {
            throw new SerializationException(
                    "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @Override
    public T decode(byte[] bytes) {
        if (bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01) {
            return singleObject.decode(bytes);
        }
        if (bytes.length < HEADER || bytes[0] != MAGIC) {
            throw new SerializationException(
                    "not a schema-registry framed "
                            + type.getSimpleName()
                            + " ("
                            + bytes.length
                            + " bytes; expected magic byte 0 and a 4-byte schema id)");
        }
        int id = schemaIdOf(bytes);
        SpecificDatumReader<T> reader = readerById.computeIfAbsent(id, this::readerFor);
        try {
            // A resolving reader's schema is the writer's: the one the body's bytes follow.
            BodyLimits.check(reader.getSchema(), bytes, HEADER);
        } catch (SerializationException e) {
            throw new SerializationException(
                    "corrupt or truncated "
                            + type.getSimpleName()
                            + " record ("
                            + bytes.length
                            + " bytes, schema id "
                            + id
                            + "): "
                            + e.getMessage(),
                    e);
        }
        try {
            BinaryDecoder decoder =
                    DecoderFactory.get().binaryDecoder(bytes, HEADER, bytes.length - HEADER, null);
            return reader.read(null, decoder);
        } catch (OutOfMemoryError | StackOverflowError e) {
            throw new SerializationException(
                    "record of " + bytes.length + " bytes cannot be decoded: " + e, e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "corrupt or truncated "
                            + type.getSimpleName()
                            + " record (schema id "
                            + id
                            + "): "
                            + e,
                    e);
        }
    }

    /** The schema id in a registry-framed record's header. */
    public static int schemaIdOf(byte[] bytes) {
        return ((bytes[1] & 0xff) << 24)
                | ((bytes[2] & 0xff) << 16)
                | ((bytes[3] & 0xff) << 8)
                | (bytes[4] & 0xff);
    }

    private SpecificDatumReader<T> readerFor(int id) {
        Schema writerSchema = registry.schemaById(id);
        if (writerSchema.getType() != Schema.Type.RECORD
                || !writerSchema.getFullName().equals(current.getFullName())) {
            throw new UnknownSchemaException(
                    "schema id "
                            + id
                            + " is "
                            + writerSchema.getFullName()
                            + ", not "
                            + current.getFullName(),
                    null);
        }
        return new SpecificDatumReader<>(writerSchema, current, model);
    }
}
