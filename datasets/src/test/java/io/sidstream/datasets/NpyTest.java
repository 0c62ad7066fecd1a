package io.sidstream.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyTest {

    @Test
    void shouldRoundTripAFloatMatrix(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.npy");
        try (Npy.Writer w = new Npy.Writer(file, 2, 3)) {
            w.write(new float[] {1f, -2.5f, 3e-7f});
            w.write(new float[] {0f, Float.MAX_VALUE, -0f});
        }
        float[][] back = Npy.read(file);
        assertThat(back).hasDimensions(2, 3);
        assertThat(back[0]).containsExactly(1f, -2.5f, 3e-7f);
        assertThat(back[1][1]).isEqualTo(Float.MAX_VALUE);
    }

    @Test
    void shouldAlignTheHeaderToSixtyFourBytes() {
        assertThat(Npy.header(10_506, 384).length % 64).isZero();
        assertThat(Npy.header(1, 1).length % 64).isZero();
    }

    @Test
    void shouldRefuseToCloseWithMissingRows(@TempDir Path dir) {
        assertThatThrownBy(
                        () -> {
                            try (Npy.Writer w = new Npy.Writer(dir.resolve("y.npy"), 2, 1)) {
                                w.write(new float[] {1f});
                            }
                        })
                .isInstanceOf(IOException.class)
                .hasMessageContaining("wrote 1 rows, header promised 2");
    }
}
