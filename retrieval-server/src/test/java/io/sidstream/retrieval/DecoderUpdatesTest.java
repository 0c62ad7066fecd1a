package io.sidstream.retrieval;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.model.bundle.ModelBundle;
import io.sidstream.model.onnx.ExecutionProvider;
import io.sidstream.retrieval.batch.MicroBatcher;
import io.sidstream.retrieval.batch.ServingSlot;
import io.sidstream.retrieval.beam.BeamSearch;
import io.sidstream.retrieval.beam.SidTrie;
import io.sidstream.retrieval.onnx.DecoderLogits;
import io.sidstream.retrieval.onnx.DecoderSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A decoder-only update answers with its search graph exactly when the setting says so. */
class DecoderUpdatesTest {
    private static final ModelBundle SERVED = ModelBundle.load(DecoderUpdateFixture.DEFAULT);

    @Test
    void shouldSwapInTheUpdatesSearchGraphWhenRequiredAndRefuseAnUpdateWithoutOne(@TempDir Path dir)
            throws Exception {
        Path withGraph = Files.createDirectories(dir.resolve("with-graph"));
        try (Stream<Path> files = Files.list(DecoderUpdateFixture.DEFAULT)) {
            for (Path f : files.toList()) {
                Files.copy(f, withGraph.resolve(f.getFileName().toString()));
            }
        }
        Path withoutGraph = DecoderUpdateFixture.writeTo(dir.resolve("without-graph"));
        assertThat(ModelBundle.load(withoutGraph).manifest().decoder().hasSearchGraph()).isFalse();

        try (Served on = new Served(SearchGraph.ON)) {
            assertThatThrownBy(() -> on.updates.swap(withoutGraph))
                    .isInstanceOf(DecoderUpdates.RefusedException.class)
                    .hasMessageContaining("no decoder.searchFile");
            assertThat(on.batcher.slot().current().hasGraph()).isFalse();

            on.updates.swap(withGraph);
            assertThat(on.batcher.slot().current().hasGraph()).isTrue();
        }
        // On a CPU, auto keeps searching level by level.
        try (Served auto = new Served(SearchGraph.AUTO)) {
            auto.updates.swap(withGraph);
            assertThat(auto.batcher.slot().current().hasGraph()).isFalse();
        }
    }

    /** The default bundle served level by level, and its update path. */
    private static final class Served implements AutoCloseable {
        final MicroBatcher batcher;
        final DecoderUpdates updates;

        Served(SearchGraph mode) {
            DecoderSession session = DecoderSession.open(SERVED, ExecutionProvider.CPU, 1);
            BeamSearch search =
                    new BeamSearch(
                            new DecoderLogits(session),
                            DecoderLogits.layoutOf(SERVED.manifest()),
                            SERVED.manifest().decoder().maxHistoryItems());
            SidTrie trie =
                    new SidTrie(
                            SERVED.manifest().sid().levels(),
                            SERVED.manifest().sid().codebookSize());
            RetrievalMetrics metrics = new RetrievalMetrics(new SimpleMeterRegistry());
            batcher =
                    new MicroBatcher(
                            new ServingSlot(
                                    new ServingSlot.Model(SERVED.version(), search, session)),
                            trie,
                            8,
                            Duration.ofMillis(1),
                            64,
                            Duration.ZERO,
                            metrics);
            updates =
                    new DecoderUpdates(
                            SERVED,
                            ExecutionProvider.CPU,
                            mode,
                            Duration.ofSeconds(1),
                            1,
                            search,
                            Function.identity(),
                            batcher,
                            trie,
                            8,
                            metrics);
        }

        @Override
        public void close() {
            batcher.close();
            batcher.slot().close();
        }
    }
}
