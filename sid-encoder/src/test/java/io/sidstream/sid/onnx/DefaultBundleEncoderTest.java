package io.sidstream.sid.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SidAssigner;
import io.sidstream.sid.embed.SentenceEmbedder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The committed default bundle, run with ONNX Runtime, against what the trainer computed. */
class DefaultBundleEncoderTest {
    static final Path DEFAULT_BUNDLE = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    @Test
    void shouldReproduceTheTrainersCodesExactly() {
        EncoderParity.Report report = EncoderParity.check(ModelBundle.load(DEFAULT_BUNDLE));
        assertThat(report.mismatches()).isEmpty();
        assertThat(report.rows()).isGreaterThanOrEqualTo(8);
    }

    @Test
    void shouldRejectAnEmbeddingOfTheWrongDimension() {
        try (RqVaeEncoder encoder = RqVaeEncoder.open(ModelBundle.load(DEFAULT_BUNDLE), 1)) {
            assertThat(encoder.dimension()).isEqualTo(SentenceEmbedder.DIMENSION);
            assertThatThrownBy(() -> encoder.encode(new float[][] {new float[3]}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("embedding has 3 values, the encoder expects 384");
        }
    }

    /**
     * A decoder-only update assigns under the reused bundle's SID space: same name on the SID, same
     * content hash, same codes, so ingest on the update re-assigns nothing.
     */
    @Test
    void shouldAssignADecoderOnlyUpdatesSidsUnderTheSidSpaceItReuses(@TempDir Path dir)
            throws Exception {
        ModelBundle original = ModelBundle.load(DEFAULT_BUNDLE);
        Path update = dir.resolve("update");
        Files.createDirectories(update);
        try (Stream<Path> files = Files.list(DEFAULT_BUNDLE)) {
            for (Path f : files.toList()) {
                Files.copy(f, update.resolve(f.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode manifest = (ObjectNode) json.readTree(update.resolve("manifest.json").toFile());
        manifest.put("bundleVersion", original.version() + "-decoder-update");
        manifest.put("sidSpace", original.sidSpace());
        json.writeValue(update.resolve("manifest.json").toFile(), manifest);
        ItemContent item = ItemContent.ofText("Gravity (2013) | Sci-Fi, Thriller");
        try (SidAssigner before = SidAssigner.open(original, 1);
                SidAssigner after = SidAssigner.open(ModelBundle.load(update), 1)) {
            assertThat(after.modelVersion()).isEqualTo(original.sidSpace());
            assertThat(after.contentHash(item)).isEqualTo(before.contentHash(item));
            assertThat(after.semanticCodes(List.of(item)))
                    .isDeepEqualTo(before.semanticCodes(List.of(item)));
        }
    }
}
