package io.sidstream.contracts;

import io.sidstream.contracts.serde.AvroSerde;
import io.sidstream.schemas.v1.ItemEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every decode path reads through {@code SingleObjectWireFormat}: random and mutated records of
 * every public schema are each either decoded or rejected with a {@link SerializationException}
 * (never an {@code Error}, never another exception), and no input makes the decoder allocate more
 * than a small multiple of its size: a length claim larger than the bytes present is refused before
 * anything is allocated.
 */
class DecoderFuzzTest {
    static final int INPUTS_PER_SCHEMA = 40_000;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** The 32-byte record of the report: ItemEvent whose itemId claims 2^31 - 9 bytes. */
    static byte[] stringLengthBomb(SpecificRecord sample) {
        return io.sidstream.testkit.HostileRecords.stringLengthBomb(
                serde(sample).serialize("t", sample));
    }

    @Test
    void shouldRefuseTheStringLengthBombWithoutAllocatingIt() {
        ItemEvent sample = (ItemEvent) SampleRecords.all().get("ItemEvent");
        byte[] bomb = stringLengthBomb(sample);
        assertThat(bomb).hasSize(32);
        long before = THREADS.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> serde(sample).deserialize("t", bomb))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("claims 2147483639 bytes");
        assertThat(THREADS.getCurrentThreadAllocatedBytes() - before).isLessThan(1 << 20);
    }

    @Test
    void shouldDecodeOrRejectEveryRandomAndMutatedRecordWithinABoundedAllocation() {
        Random random = new Random(20_261_201L);
        Map<String, Long> outcomes = new TreeMap<>();
        long peak = 0;
        long inputs = 0;
        for (Map.Entry<String, SpecificRecord> sample : SampleRecords.all().entrySet()) {
            AvroSerde<SpecificRecord> serde = serde(sample.getValue());
            byte[] valid = serde.serialize("t", sample.getValue());
            // Warm-up: first uses build resolvers and load classes; only steady state is bounded.
            for (int i = 0; i < 2_000; i++) {
                try {
                    serde.deserialize("t", mutate(valid, random));
                } catch (SerializationException e) {
                    // expected for most
                }
            }
            for (int i = 0; i < INPUTS_PER_SCHEMA; i++) {
                byte[] input = mutate(valid, random);
                long before = THREADS.getCurrentThreadAllocatedBytes();
                String outcome;
                try {
                    serde.deserialize("t", input);
                    outcome = "decoded";
                } catch (SerializationException e) {
                    outcome = "rejected: " + reasonOf(e);
                }
                long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
                peak = Math.max(peak, allocated);
                assertThat(allocated)
                        .as("allocation decoding %d bytes of %s", input.length, sample.getKey())
                        .isLessThan(1024L * 1024 + 64L * input.length);
                outcomes.merge(outcome, 1L, Long::sum);
                inputs++;
            }
        }
        System.out.printf(
                "{\"fuzz\":\"decoders\",\"inputs\":%d,\"peakAllocatedBytes\":%d,\"outcomes\":%s}%n",
                inputs, peak, outcomes);
        assertThat(outcomes.get("decoded")).as("some mutations stay valid").isPositive();
        assertThat(outcomes.keySet()).anyMatch(k -> k.contains("claims"));
    }

    /** Mutations that hit the length, count and union claims an attacker would forge. */
    private static byte[] mutate(byte[] valid, Random random) {
        byte[] out;
        switch (random.nextInt(7)) {
            case 0 -> { // flip random bytes of the body
                out = valid.clone();
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    int at = 10 + random.nextInt(Math.max(1, out.length - 10));
                    if (at < out.length) {
                        out[at] = (byte) random.nextInt(256);
                    }
                }
            }
            case 1 -> out = Arrays.copyOf(valid, random.nextInt(valid.length + 1)); // truncate
            case 2 -> { // splice a huge varint into the body
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                int at = 10 + random.nextInt(Math.max(1, valid.length - 10));
                b.write(valid, 0, Math.min(at, valid.length));
                writeVarint(
                        b,
                        zigzag(
                                random.nextBoolean()
                                        ? Integer.MAX_VALUE - 8
                                        : -random.nextInt(1 << 30)));
                b.write(
                        valid,
                        Math.min(at, valid.length),
                        valid.length - Math.min(at, valid.length));
                out = b.toByteArray();
            }
            case 3 -> { // valid header, random body
                out = Arrays.copyOf(valid, 10 + random.nextInt(64));
                for (int i = 10; i < out.length; i++) {
                    out[i] = (byte) random.nextInt(256);
                }
            }
            case 4 -> { // random garbage, header included
                out = new byte[random.nextInt(48)];
                random.nextBytes(out);
            }
            case 5 -> { // append trailing bytes
                out = Arrays.copyOf(valid, valid.length + 1 + random.nextInt(8));
            }
            default -> out = valid.clone(); // the valid record itself
        }
        return out;
    }

    private static String reasonOf(SerializationException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("claims")) {
            return "length or count claims more bytes than present";
        }
        if (m.contains("fingerprint")) {
            return "unknown schema fingerprint";
        }
        if (m.contains("single-object")) {
            return "not single-object encoded";
        }
        if (m.contains("left over")) {
            return "trailing bytes";
        }
        return "corrupt or truncated body";
    }

    @SuppressWarnings("unchecked")
    static AvroSerde<SpecificRecord> serde(SpecificRecord sample) {
        return AvroSerdeTest.serdeOf(sample);
    }

    private static long zigzag(long n) {
        return (n << 1) ^ (n >> 63);
    }

    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
