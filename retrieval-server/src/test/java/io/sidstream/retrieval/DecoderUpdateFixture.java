package io.sidstream.retrieval;

import io.sidstream.model.bundle.ModelBundle;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * A real decoder-only update of the default bundle (built by {@code
 * training/build_test_decoder_update.sh}: a small decoder trained over the default bundle's encoder
 * and SIDs): the test resources hold only its files that differ from {@code models/default}.
 */
final class DecoderUpdateFixture {
    static final Path DEFAULT = Path.of("..").resolve(ModelBundle.DEFAULT_DIRECTORY);

    private DecoderUpdateFixture() {}

    /** Writes the update's whole bundle into {@code dir} and returns it. */
    static Path writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(DEFAULT)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName().toString()));
            }
        }
        Path own;
        try {
            own = Path.of(DecoderUpdateFixture.class.getResource("/decoder-update").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> files = Files.list(own)) {
            for (Path f : files.toList()) {
                Files.copy(
                        f,
                        dir.resolve(f.getFileName().toString()),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }
}
