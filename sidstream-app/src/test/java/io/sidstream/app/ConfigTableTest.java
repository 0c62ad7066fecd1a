package io.sidstream.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigTableTest {

    @Test
    void shouldKeepTheReadmeConfigurationTableEqualToTheDeclarations() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertThat(readme)
                .as(
                        "README configuration table is stale: run ./sidstream config-table and paste it")
                .contains(ConfigTable.render());
    }
}
