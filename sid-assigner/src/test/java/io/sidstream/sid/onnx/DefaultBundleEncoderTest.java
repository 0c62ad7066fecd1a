package io.sidstream.sid.onnx;

import io.sidstream.schemas.bundle.ModelBundle;
import io.sidstream.sid.data.CatalogItem;
import io.sidstream.sid.data.Datasets;
import io.sidstream.sid.embed.SentenceEmbedder;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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
    void shouldAssignCatalogItemsTheTrainersSemanticCodesEndToEnd() throws IOException {
        // Text -> Java sentence encoder -> ONNX RQ-VAE must land on the trainer's prefixes for the
        // same items: the path SID assignment takes for a live item.
        ModelBundle bundle = ModelBundle.load(DEFAULT_BUNDLE);
        Map<String, List<Integer>> trainerSids = bundle.trainerItemSids();
        List<CatalogItem> items =
                Datasets.readCatalog(Path.of("..", "data", "movietweetings-100k", "movies.dat"))
                        .subList(0, 200);
        int equal = 0;
        try (SentenceEmbedder embedder = SentenceEmbedder.load(2);
                RqVaeEncoder encoder = RqVaeEncoder.open(bundle, 2)) {
            EncodedBatch codes =
                    encoder.encode(embedder.embed(items.stream().map(CatalogItem::text).toList()));
            for (int i = 0; i < items.size(); i++) {
                List<Integer> prefix = java.util.Arrays.stream(codes.codes(i)).boxed().toList();
                if (trainerSids
                        .get(items.get(i).itemId())
                        .subList(0, prefix.size())
                        .equals(prefix)) {
                    equal++;
                }
            }
        }
        // Argmin near-ties may flip between PyTorch and ONNX Runtime for a rare item; a systematic
        // train/serve skew (different text, different embedder) would break most of them.
        assertThat(equal).isGreaterThanOrEqualTo(198);
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
}
