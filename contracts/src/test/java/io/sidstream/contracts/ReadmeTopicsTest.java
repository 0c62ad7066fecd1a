package io.sidstream.contracts;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's topic table must list every catalogued topic with its partitions and policy. */
class ReadmeTopicsTest {

    @Test
    void shouldListEveryCataloguedTopicInTheReadme() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (TopicSpec<?, ?> spec : Topics.all()) {
            String row =
                    readme.lines()
                            .filter(l -> l.startsWith("| `" + spec.name() + "` |"))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError(spec.name() + " not in README"));
            assertThat(row)
                    .as(spec.name())
                    .contains("| " + spec.cleanupPolicy().configValue() + " |")
                    .endsWith("| " + spec.partitions() + " |");
        }
    }
}
