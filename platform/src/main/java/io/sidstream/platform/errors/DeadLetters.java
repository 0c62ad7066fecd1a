package io.sidstream.platform.errors;

import io.sidstream.schemas.v1.DeadLetter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The one builder of dead letters, for every processor and loop. A letter always fits on the DLQ
 * topic whatever it rejects: it keeps a bounded prefix of the original value with the value's size
 * and SHA-256 (the full original stays in the source topic, named by the provenance), and bounds
 * the key and the explanation too, so a record at the broker's size limit cannot make its own
 * letter too large to write.
 */
public final class DeadLetters {
    /** Bytes of the original value kept in a letter; the broker default limit is about 1 MiB. */
    public static final int MAX_VALUE_BYTES = 64 * 1024;

    /** Bytes of the key kept in a letter. */
    public static final int MAX_KEY_BYTES = 1024;

    /** Characters of the explanation kept in a letter. */
    public static final int MAX_REASON_CHARS = 2048;

    private DeadLetters() {}

    /** A dead letter for a record read from {@code source}. */
    public static DeadLetter of(
            Provenance source,
            String key,
            byte[] value,
            String errorClass,
            String explanation,
            String application,
            Instant now) {
        DeadLetter.Builder letter =
                DeadLetter.newBuilder()
                        .setSourceTopic(source.topic())
                        .setPartition(source.partition())
                        .setOffset(source.offset())
                        .setKey(key == null ? null : ByteBuffer.wrap(bounded(key)))
                        .setErrorClass(errorClass)
                        .setReason(boundedText(explanation))
                        .setApplication(application == null ? "" : application)
                        .setFailedAt(now);
        if (value != null) {
            boolean truncated = value.length > MAX_VALUE_BYTES;
            letter.setValue(
                            ByteBuffer.wrap(
                                    truncated ? Arrays.copyOf(value, MAX_VALUE_BYTES) : value))
                    .setValueSize(value.length)
                    .setValueSha256(sha256(value))
                    .setValueTruncated(truncated);
        }
        return letter.build();
    }

    /** Text for logs and letters: at most {@link #MAX_REASON_CHARS} characters. */
    public static String boundedText(String text) {
        String s = String.valueOf(text);
        return s.length() <= MAX_REASON_CHARS
                ? s
                : s.substring(0, MAX_REASON_CHARS)
                        + "... ("
                        + (s.length() - MAX_REASON_CHARS)
                        + " more chars)";
    }

    private static byte[] bounded(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= MAX_KEY_BYTES ? bytes : Arrays.copyOf(bytes, MAX_KEY_BYTES);
    }

    /** Lower-case hex SHA-256, as {@code sha256sum} prints it. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }
}
