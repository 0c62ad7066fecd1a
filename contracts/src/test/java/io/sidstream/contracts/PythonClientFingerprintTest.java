package io.sidstream.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sidstream.schemas.v1.ItemSid;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Python client kit (clients/python, Debian's python3-avro underneath) computes the same
 * single-object fingerprint as the Java library for every public schema, so its records are
 * accepted and ours are readable by it. Debian's python3-avro alone gets timestamp-millis fields
 * wrong; the kit computes the canonical form per the specification.
 */
class PythonClientFingerprintTest {
    @Test
    void shouldComputeTheJavaFingerprintOfEverySchema() throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("..", "README.md"));
        JsonNode python = pythonFingerprints();
        for (SpecificRecord sample : SampleRecords.all().values()) {
            long fingerprint = SchemaNormalization.parsingFingerprint64(sample.getSchema());
            String hex =
                    HexFormat.of()
                            .formatHex(
                                    ByteBuffer.allocate(8)
                                            .order(ByteOrder.LITTLE_ENDIAN)
                                            .putLong(fingerprint)
                                            .array());
            assertThat(python.path(sample.getSchema().getName()).asText())
                    .as("fingerprint of %s", sample.getSchema().getName())
                    .isEqualTo(hex);
            assertThat(readme)
                    .as("README fingerprint table row of %s", sample.getSchema().getName())
                    .contains("| `" + sample.getSchema().getName() + "` | `" + hex + "` |");
        }
    }

    /**
     * items.sid.v1 is compacted and kept forever, so it holds records of every release: the kit
     * reads an ItemSid written with release 2's schema (no rankerTokens) as the current record.
     */
    @Test
    void shouldReadRecordsWrittenWithAnEarlierReleasesSchema() throws Exception {
        Schema v2 =
                ReleasedSchemas.versionsOf(ItemSid.getClassSchema().getFullName()).stream()
                        .filter(s -> s.getField("rankerTokens") == null)
                        .findFirst()
                        .orElseThrow();
        GenericRecord old = new GenericData.Record(v2);
        old.put("itemId", "i-old");
        old.put("sid", List.of(1, 2, 3, 0));
        old.put("modelVersion", "bundle-1");
        old.put("contentHash", "h");
        old.put("itemEventTime", 1_362_096_000_000L);
        old.put("assignedAt", 1_362_096_000_500L);
        byte[] bytes =
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v2).encode(old).array();
        JsonNode decoded =
                new ObjectMapper()
                        .readTree(
                                python(
                                        "decode",
                                        "--schemas",
                                        Path.of("src/main/avro").toAbsolutePath().toString(),
                                        "--topic",
                                        Topics.ITEM_SIDS.name(),
                                        HexFormat.of().formatHex(bytes)));
        assertThat(decoded.path("itemId").asText()).isEqualTo("i-old");
        assertThat(decoded.path("sid").toString()).isEqualTo("[1,2,3,0]");
        assertThat(decoded.path("rankerTokens").isObject()).isTrue();
        assertThat(decoded.path("rankerTokens").size()).isZero();
    }

    private static String python(String... args) throws IOException, InterruptedException {
        List<String> command =
                new java.util.ArrayList<>(List.of("/usr/bin/python3", "-m", "sidstream_client"));
        command.addAll(List.of(args));
        Process p =
                new ProcessBuilder(command)
                        .directory(Path.of("..", "clients", "python").toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }

    private static JsonNode pythonFingerprints() throws IOException, InterruptedException {
        Process p =
                new ProcessBuilder(
                                "/usr/bin/python3",
                                "-m",
                                "sidstream_client",
                                "fingerprints",
                                "--schemas",
                                Path.of("src/main/avro").toAbsolutePath().toString())
                        .directory(Path.of("..", "clients", "python").toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue())
                .as(
                        "python3 -m sidstream_client fingerprints (install python3-avro with"
                                + " scripts/install-prereqs.sh --clients): %s",
                        out)
                .isZero();
        return new ObjectMapper().readTree(out);
    }
}
