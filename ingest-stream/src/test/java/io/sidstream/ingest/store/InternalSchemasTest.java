package io.sidstream.ingest.store;

import io.sidstream.contracts.SchemaCompatibility;
import io.sidstream.ingest.v1.HistoryItem;
import io.sidstream.ingest.v1.HistoryState;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.ingest.v1.PendingInteraction;
import io.sidstream.ingest.v1.PendingInteractions;
import io.sidstream.ingest.v1.PendingItem;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.PrefixCommandType;
import io.sidstream.ingest.v1.PrefixSlots;
import io.sidstream.ingest.v1.SidConfirmation;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Internal state outlives a deployment (RocksDB, changelogs, in-flight commands): every current
 * internal schema must read every released one, and bytes written by an earlier build (checked in
 * under {@code src/test/resources/golden-internal/}, never rewritten) must keep decoding.
 */
class InternalSchemasTest {
    private static final Path GOLDEN_SOURCE_DIR = Path.of("src/test/resources/golden-internal");

    /** One record of every internal type, with every field of release 1 set. */
    static Map<String, SpecificRecord> samples() {
        Map<String, SpecificRecord> all = new LinkedHashMap<>();
        all.put(
                "HistoryState",
                new HistoryState(List.of(new HistoryItem("i1", "u1-i1-1000", 1000L))));
        all.put(
                "ItemState",
                ItemState.newBuilder()
                        .setContentHash("0123456789abcdef")
                        .setSeq(3)
                        .setPrefix(List.of(1, 2, 3))
                        .setSid(List.of(1, 2, 3, 0))
                        .setAssignedSeq(2)
                        .setEventTime(1_700_000_000_000L)
                        .build());
        all.put(
                "PendingInteractions",
                new PendingInteractions(
                        List.of(
                                new PendingInteraction(
                                        "i2",
                                        "u1-i2-2000",
                                        2000L,
                                        2500L,
                                        ByteBuffer.wrap(new byte[] {1, 2, 3}),
                                        null))));
        all.put(
                "PendingItem",
                PendingItem.newBuilder()
                        .setSeq(1)
                        .setText("A title")
                        .setEmbedding(null)
                        .setEventTime(1000L)
                        .setReceivedAt(1001L)
                        .build());
        all.put(
                "PrefixCommand",
                PrefixCommand.newBuilder()
                        .setType(PrefixCommandType.ASSIGN)
                        .setItemId("i1")
                        .setSeq(1)
                        .setCodes(List.of(1, 2, 3))
                        .setEventTime(1000L)
                        .setReceivedAt(1001L)
                        .build());
        all.put("PrefixSlots", new PrefixSlots(List.of("i1", "i2"), List.of(0, 1)));
        all.put(
                "SidConfirmation",
                SidConfirmation.newBuilder()
                        .setItemId("i1")
                        .setSeq(1)
                        .setSid(List.of(1, 2, 3, 0))
                        .setRejection(null)
                        .setEventTime(1000L)
                        .setReceivedAt(1001L)
                        .build());
        return all;
    }

    @Test
    void shouldKeepEveryInternalSchemaBackwardCompatibleWithEveryRelease() {
        assertThat(samples()).hasSameSizeAs(InternalSchemas.FILES);
        for (SpecificRecord sample : samples().values()) {
            Schema current = sample.getSchema();
            List<Schema> released = InternalSchemas.SET.versionsOf(current.getFullName());
            assertThat(released).as("%s has been released", current.getFullName()).isNotEmpty();
            for (Schema older : released) {
                assertThat(SchemaCompatibility.backwardProblems(current, older))
                        .as("reading %s written with a released schema", current.getName())
                        .isEmpty();
            }
        }
    }

    @Test
    void shouldDecodeBytesWrittenByAnEarlierBuild() throws IOException {
        if (Boolean.getBoolean("sidstream.golden.write")) {
            Files.createDirectories(GOLDEN_SOURCE_DIR);
            for (Map.Entry<String, SpecificRecord> sample : samples().entrySet()) {
                Path file = GOLDEN_SOURCE_DIR.resolve(sample.getKey() + ".bin");
                if (!Files.exists(file)) {
                    Files.write(file, serde(sample.getValue()).serialize("t", sample.getValue()));
                }
            }
        }
        for (Map.Entry<String, SpecificRecord> sample : samples().entrySet()) {
            String resource = "/golden-internal/" + sample.getKey() + ".bin";
            try (InputStream in = InternalSchemasTest.class.getResourceAsStream(resource)) {
                assertThat(in).as("golden file %s is checked in", resource).isNotNull();
                assertThat(serde(sample.getValue()).deserialize("t", in.readAllBytes()))
                        .as(resource)
                        .isEqualTo(sample.getValue());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends SpecificRecord> io.sidstream.contracts.serde.AvroSerde<T> serde(
            T record) {
        return InternalSchemas.serde((Class<T>) record.getClass());
    }
}
