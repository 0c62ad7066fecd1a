package io.sidstream.contracts;

import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes written by an earlier build must keep decoding: each checked-in sample under {@code
 * src/test/resources/golden/} was encoded from {@link SampleRecords} when its schema was released.
 * After adding a new type, write its file once with {@code -Dsidstream.golden.write=true}; never
 * rewrite an existing one to make this test pass.
 */
class GoldenBytesTest {
    private static final Path GOLDEN_SOURCE_DIR = Path.of("src/test/resources/golden");

    @Test
    void shouldDecodeEveryCheckedInSample() throws IOException {
        if (Boolean.getBoolean("sidstream.golden.write")) {
            writeMissingGoldenFiles();
        }
        for (Map.Entry<String, SpecificRecord> sample : SampleRecords.all().entrySet()) {
            String resource = "/golden/" + sample.getKey() + ".bin";
            try (InputStream in = GoldenBytesTest.class.getResourceAsStream(resource)) {
                assertThat(in).as("golden file %s is checked in", resource).isNotNull();
                byte[] golden = in.readAllBytes();
                assertThat(AvroSerdeTest.serdeOf(sample.getValue()).deserialize("t", golden))
                        .as(resource)
                        .isEqualTo(sample.getValue());
            }
        }
    }

    private static void writeMissingGoldenFiles() throws IOException {
        Files.createDirectories(GOLDEN_SOURCE_DIR);
        for (Map.Entry<String, SpecificRecord> sample : SampleRecords.all().entrySet()) {
            Path file = GOLDEN_SOURCE_DIR.resolve(sample.getKey() + ".bin");
            if (!Files.exists(file)) {
                Files.write(
                        file,
                        AvroSerdeTest.serdeOf(sample.getValue()).serialize("t", sample.getValue()));
            }
        }
    }
}
