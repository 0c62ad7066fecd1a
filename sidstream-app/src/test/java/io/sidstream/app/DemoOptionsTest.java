package io.sidstream.app;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DemoOptionsTest {
    private static final String DATA = "../data/movietweetings-100k";

    @Test
    void shouldDefaultToALocalResumableRunOnTheBundledData() {
        DemoOptions o = DemoOptions.parse(new String[] {"--data-dir", DATA});
        assertThat(o.workDir()).isEqualTo(Path.of("state", "demo"));
        assertThat(o.fresh()).isFalse();
        assertThat(o.serve()).isTrue();
        assertThat(o.speedup()).isZero();
        assertThat(o.dashboardPort()).isEqualTo(8080);
        assertThat(o.coldStartFraction()).isEqualTo(0.05);
        assertThat(o.bootstrapServers()).isNull();
        assertThat(o.catalogFile().getFileName().toString()).isEqualTo("movies.dat");
    }

    @Test
    void shouldParseEveryOptionAndTellRunsApart() {
        DemoOptions o =
                DemoOptions.parse(
                        new String[] {
                            "--data-dir", DATA, "--speedup", "50000", "--cold-start", "0.1",
                            "--dashboard-port", "0", "--fresh", "--no-serve", "--items", "10",
                            "--limit", "0", "--work-dir", "w"
                        });
        assertThat(o.speedup()).isEqualTo(50_000);
        assertThat(o.coldStartFraction()).isEqualTo(0.1);
        assertThat(o.dashboardPort()).isZero();
        assertThat(o.fresh()).isTrue();
        assertThat(o.serve()).isFalse();
        assertThat(o.items()).isEqualTo(10);
        assertThat(o.limit()).isZero();
        // Progress saved by one run must not be resumed by a run over other data.
        assertThat(o.runKey())
                .isNotEqualTo(
                        DemoOptions.parse(new String[] {"--data-dir", DATA, "--items", "11"})
                                .runKey());
    }

    @Test
    void shouldReportEveryBadValueAtOnce() {
        assertThatThrownBy(
                        () ->
                                DemoOptions.parse(
                                        new String[] {
                                            "--data-dir",
                                            DATA,
                                            "--speedup",
                                            "-1",
                                            "--cold-start",
                                            "0.9",
                                            "--dashboard-port",
                                            "70000",
                                            "--items",
                                            "0"
                                        }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--speedup needs a number")
                .hasMessageContaining("--cold-start needs a number in [0.0, 0.5]")
                .hasMessageContaining("--dashboard-port must be at most 65535")
                .hasMessageContaining("--items needs a positive integer");
    }
}
