package io.sidstream.model.bundle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelBundleTest {

    /** A minimal consistent manifest: 2 levels x 4 codes; the graph files are placeholders. */
    private static String manifest(String encoderSha, int decoderLevels, int vocab) {
        return """
                {"format": "sidstream-bundle/1", "bundleVersion": "t-1", "createdAt": "2026-01-01T00:00:00Z",
                 "embedding": {"modelId": "all-minilm-l6-v2", "dim": 8, "normalized": true, "text": "x"},
                 "sid": {"levels": 2, "codebookSize": 4, "collisionCodes": 4},
                 "tokens": {"pad": 0, "bos": 1, "levelOffsets": [2, 6], "collisionOffset": 10,
                            "collisionCodes": 4, "vocabSize": %d, "tokensPerItem": 3},
                 "encoder": {"file": "enc.onnx", "embeddingDim": 8, "latentDim": 4, "levels": 2, "codebookSize": 4},
                 "decoder": {"encodeHistoryFile": "hist.onnx", "decodeStepFile": "step.onnx", "levels": %d,
                             "codebookSize": 4, "vocabSize": %d, "layers": 1, "heads": 2, "headDim": 4,
                             "dModel": 8, "maxHistoryItems": 5},
                 "parityFile": "parity.json", "itemSidsFile": "item_sids.tsv",
                 "files": {"enc.onnx": {"sha256": "%s", "bytes": 3},
                           "hist.onnx": {"sha256": "%s", "bytes": 3},
                           "step.onnx": {"sha256": "%s", "bytes": 3}},
                 "metrics": {"test": {"recall@10": 0.1}}, "somethingNew": 1}
                """
                .formatted(vocab, decoderLevels, vocab, encoderSha, SHA_ABC, SHA_ABC);
    }

    // sha256("abc")
    private static final String SHA_ABC =
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private static Path bundle(Path dir, String manifest) throws IOException {
        for (String f : new String[] {"enc.onnx", "hist.onnx", "step.onnx"}) {
            Files.writeString(dir.resolve(f), "abc", StandardCharsets.US_ASCII);
        }
        Files.writeString(dir.resolve("manifest.json"), manifest);
        return dir;
    }

    @Test
    void shouldLoadAConsistentBundleAndIgnoreUnknownManifestFields(@TempDir Path dir)
            throws IOException {
        ModelBundle bundle = ModelBundle.load(bundle(dir, manifest(SHA_ABC, 2, 14)));
        assertThat(bundle.version()).isEqualTo("t-1");
        assertThat(bundle.manifest().tokens().levelOffsets()).containsExactly(2, 6);
        assertThat(bundle.file("enc.onnx")).isEqualTo(dir.resolve("enc.onnx"));
        assertThat(bundle.manifest().metrics().path("test").path("recall@10").asDouble())
                .isEqualTo(0.1);
    }

    @Test
    void shouldReportEveryProblemAtOnce(@TempDir Path dir) throws IOException {
        String badSha = "0".repeat(64);
        assertThatThrownBy(() -> ModelBundle.load(bundle(dir, manifest(badSha, 3, 15))))
                .isInstanceOf(BundleException.class)
                .satisfies(
                        e ->
                                assertThat(((BundleException) e).problems())
                                        .anySatisfy(
                                                p ->
                                                        assertThat(p)
                                                                .contains(
                                                                        "decoder.levels = 3 but sid.levels = 2"))
                                        .anySatisfy(
                                                p ->
                                                        assertThat(p)
                                                                .contains(
                                                                        "tokens.vocabSize = 15 but expected = 14"))
                                        .anySatisfy(
                                                p ->
                                                        assertThat(p)
                                                                .contains("enc.onnx has sha256")));
    }

    @Test
    void shouldRejectAFileThatChangedAfterExport(@TempDir Path dir) throws IOException {
        bundle(dir, manifest(SHA_ABC, 2, 14));
        Files.writeString(dir.resolve("hist.onnx"), "abd");
        assertThatThrownBy(() -> ModelBundle.load(dir))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("hist.onnx has sha256");
    }

    @Test
    void shouldRefuseASearchGraphThatIsUnlistedOrHasNoBeamCacheGraphsToComeFrom(@TempDir Path dir)
            throws IOException {
        String withSearch =
                manifest(SHA_ABC, 2, 14)
                        .replace(
                                "\"maxHistoryItems\": 5}",
                                "\"maxHistoryItems\": 5, \"searchFile\": \"search.onnx\"}");
        assertThatThrownBy(() -> ModelBundle.load(bundle(dir, withSearch)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("searchFile needs contract v2")
                .hasMessageContaining("search.onnx is used but not listed");
    }

    @Test
    void shouldNameAMissingManifest(@TempDir Path dir) {
        assertThatThrownBy(() -> ModelBundle.load(dir))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("no manifest.json");
    }

    @Test
    void shouldRefuseAnUnknownFormat(@TempDir Path dir) throws IOException {
        String manifest =
                manifest(SHA_ABC, 2, 14).replace("sidstream-bundle/1", "sidstream-bundle/9");
        assertThatThrownBy(() -> ModelBundle.load(bundle(dir, manifest)))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("this version reads 'sidstream-bundle/1'");
    }
}
