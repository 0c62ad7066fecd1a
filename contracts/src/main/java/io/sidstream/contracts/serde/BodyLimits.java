package io.sidstream.contracts.serde;

import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Checks an Avro binary body against its writer schema before any decoder allocates: every string,
 * bytes, array and map length the body claims must fit in the bytes actually present. Avro's own
 * decoder trusts a claimed length and allocates it first (a 32-byte record claiming a 2 GiB string
 * is an {@code OutOfMemoryError}); after this walk, decoding allocates at most a small multiple of
 * the input size.
 */
final class BodyLimits {
    /** Elements of a collection whose items may encode to zero bytes (e.g. an array of nulls). */
    static final int MAX_ZERO_SIZE_ITEMS = 100_000;

    private static final int MAX_DEPTH = 64;

    private final byte[] bytes;
    private int pos;

    private BodyLimits(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.pos = offset;
    }

    /** Throws a {@link SerializationException} naming the first impossible claim. */
    static void check(Schema writer, byte[] bytes, int offset) {
        BodyLimits walk = new BodyLimits(bytes, offset);
        walk.value(writer, 0);
        if (walk.pos != bytes.length) {
            throw new SerializationException(
                    (bytes.length - walk.pos) + " bytes left over after the record body");
        }
    }

    private void value(Schema schema, int depth) {
        if (depth > MAX_DEPTH) {
            throw new SerializationException("record nests deeper than " + MAX_DEPTH);
        }
        switch (schema.getType()) {
            case NULL -> {}
            case BOOLEAN -> {
                int b = take(1);
                if ((bytes[b] & 0xff) > 1) {
                    throw new SerializationException("boolean byte " + (bytes[b] & 0xff));
                }
            }
            case INT -> varint(5);
            case LONG -> varint(10);
            case FLOAT -> take(4);
            case DOUBLE -> take(8);
            case STRING, BYTES -> take(length("length of a string or bytes field"));
            case FIXED -> take(schema.getFixedSize());
            case ENUM -> {
                long index = zigzag(varint(5));
                if (index < 0 || index >= schema.getEnumSymbols().size()) {
                    throw new SerializationException(
                            "enum index " + index + " of " + schema.getFullName());
                }
            }
            case UNION -> {
                long index = zigzag(varint(10));
                if (index < 0 || index >= schema.getTypes().size()) {
                    throw new SerializationException("union branch " + index + " does not exist");
                }
                value(schema.getTypes().get((int) index), depth + 1);
            }
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    value(field.schema(), depth + 1);
                }
            }
            case ARRAY -> blocks(schema.getElementType(), false, depth);
            case MAP -> blocks(schema.getValueType(), true, depth);
        }
    }

    private void blocks(Schema element, boolean map, int depth) {
        int minSize = minSize(element, 0) + (map ? 1 : 0);
        long total = 0;
        while (true) {
            long count = zigzag(varint(10));
            if (count == 0) {
                return;
            }
            if (count < 0) {
                if (count == Long.MIN_VALUE) {
                    throw new SerializationException("impossible block count");
                }
                count = -count;
                length("size of a collection block");
            }
            total += count;
            boolean impossible =
                    minSize > 0 ? count > remaining() / minSize : total > MAX_ZERO_SIZE_ITEMS;
            if (impossible) {
                throw new SerializationException(
                        "a collection claims "
                                + count
                                + " items but only "
                                + remaining()
                                + " bytes remain");
            }
            for (long i = 0; i < count; i++) {
                if (map) {
                    take(length("length of a map key"));
                }
                value(element, depth + 1);
            }
        }
    }

    /** The fewest bytes a value of this schema can encode to. */
    private static int minSize(Schema schema, int depth) {
        if (depth > MAX_DEPTH) {
            return 0;
        }
        return switch (schema.getType()) {
            case NULL -> 0;
            case BOOLEAN, INT, LONG, STRING, BYTES, ENUM, UNION, ARRAY, MAP -> 1;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> schema.getFixedSize();
            case RECORD -> {
                int sum = 0;
                for (Schema.Field f : schema.getFields()) {
                    sum += minSize(f.schema(), depth + 1);
                }
                yield sum;
            }
        };
    }

    private int length(String what) {
        long length = zigzag(varint(10));
        if (length < 0 || length > remaining()) {
            throw new SerializationException(
                    "the "
                            + what
                            + " claims "
                            + length
                            + " bytes but only "
                            + remaining()
                            + " remain");
        }
        return (int) length;
    }

    private int remaining() {
        return bytes.length - pos;
    }

    private int take(int n) {
        if (n < 0 || n > remaining()) {
            throw new SerializationException("record is truncated");
        }
        int at = pos;
        pos += n;
        return at;
    }

    /** The raw (zig-zag encoded) varint; at most {@code maxBytes} bytes. */
    private long varint(int maxBytes) {
        long value = 0;
        for (int i = 0; i < maxBytes; i++) {
            int b = bytes[take(1)] & 0xff;
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new SerializationException("varint longer than " + maxBytes + " bytes");
    }

    private static long zigzag(long raw) {
        return (raw >>> 1) ^ -(raw & 1);
    }
}
