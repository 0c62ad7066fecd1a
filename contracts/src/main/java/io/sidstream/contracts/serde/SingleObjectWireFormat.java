package io.sidstream.contracts.serde;

import io.sidstream.contracts.ReleasedSchemaSet;
import io.sidstream.contracts.ReleasedSchemas;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Avro single-object encoding: the 2-byte marker {@code C3 01}, the writer schema's 8-byte
 * CRC-64-AVRO fingerprint, then the Avro binary body. Readers resolve the fingerprint in a schema
 * store that holds the current schema and every released one, so no registry server is needed.
 */
public final class SingleObjectWireFormat<T extends SpecificRecord> implements WireFormat<T> {
    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;
    private final SchemaStore.Cache store;
    private static final int HEADER = 10;

    static {
        // Avro's own allocation limits, explicitly, in case a record reaches a decoder without
        // the check below (e.g. another library's path): 16 MiB strings and bytes, 1M items.
        setIfAbsent("org.apache.avro.limits.string.maxLength", Integer.toString(16 << 20));
        setIfAbsent("org.apache.avro.limits.bytes.maxLength", Integer.toString(16 << 20));
        setIfAbsent("org.apache.avro.limits.collectionItems.maxLength", "1000000");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /**
     * A format for a generated record class of the public contracts; the writer schema is the
     * class's schema, and every released public version is readable.
     */
    public SingleObjectWireFormat(Class<T> type) {
        this(type, null);
    }

    /**
     * A format whose readable older versions come from {@code released} (an application's internal
     * schema set), or from the public contracts when {@code null}.
     */
    public SingleObjectWireFormat(Class<T> type, ReleasedSchemaSet released) {
        this.type = type;
        TrustedPackages.ensureTrusted();
        SpecificData model = SpecificData.getForClass(type);
        Schema current = model.getSchema(type);
        this.store = new SchemaStore.Cache();
        store.addSchema(current);
        List<Schema> older =
                released == null
                        ? ReleasedSchemas.versionsOf(current.getFullName())
                        : released.versionsOf(current.getFullName());
        for (Schema version : older) {
            store.addSchema(version);
        }
        this.encoder = new BinaryMessageEncoder<>(model, current);
        this.decoder = new BinaryMessageDecoder<>(model, current, store);
    }

    @Override
    public Class<T> type() {
        return type;
    }

    @Override
    public byte[] encode(T record) {
        try {
            return encoder.encode(record).array();
        } catch (IOException | AvroRuntimeException | NullPointerException e) {
            throw new SerializationException(
                    "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T decode(byte[] bytes) {
        if (bytes.length >= HEADER && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01) {
            Schema writer = store.findByFingerprint(fingerprintOf(bytes));
            if (writer != null) {
                try {
                    BodyLimits.check(writer, bytes, HEADER);
                } catch (SerializationException e) {
                    throw new SerializationException(
                            "corrupt or truncated "
                                    + type.getSimpleName()
                                    + " record ("
                                    + bytes.length
                                    + " bytes): "
                                    + e.getMessage(),
                            e);
                }
            }
        }
        try {
            return decoder.decode(bytes);
        } catch (OutOfMemoryError | StackOverflowError e) {
            // Not expected after the limits check; never let one record end a thread.
            throw new SerializationException(
                    "record of " + bytes.length + " bytes cannot be decoded: " + e, e);
        } catch (MissingSchemaException e) {
            throw new UnknownSchemaException(
                    "no known "
                            + type.getSimpleName()
                            + " schema has the fingerprint in this record's header "
                            + fingerprintHex(bytes)
                            + " (written by a newer or foreign producer?)",
                    e);
        } catch (BadHeaderException e) {
            throw new SerializationException(
                    "not an Avro single-object encoded "
                            + type.getSimpleName()
                            + ": "
                            + e.getMessage(),
                    e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "corrupt or truncated " + type.getSimpleName() + " record: " + e, e);
        }
    }

    /** The fingerprint of this format's current writer schema. */
    public long fingerprint() {
        return SchemaNormalization.parsingFingerprint64(
                SpecificData.getForClass(type).getSchema(type));
    }

    private static long fingerprintOf(byte[] bytes) {
        long fp = 0;
        for (int i = 9; i >= 2; i--) {
            fp = (fp << 8) | (bytes[i] & 0xff);
        }
        return fp;
    }

    private static String fingerprintHex(byte[] bytes) {
        if (bytes.length < 10) {
            return "<missing>";
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : Arrays.copyOfRange(bytes, 2, 10)) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }
}
