package io.sidstream.testkit.python;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's python3 in the Python client kit's directory ({@code clients/python}), the way a
 * non-Java user of sidstream would, and fails the test with the process's output when it fails.
 */
public final class PythonKit {
    private PythonKit() {}

    /** The kit's directory, from a module directory of the repository. */
    public static Path directory() {
        return Path.of("..", "clients", "python").toAbsolutePath().normalize();
    }

    /** The repository's schema directory, for {@code --schemas}. */
    public static Path schemas() {
        return Path.of("..", "contracts", "src", "main", "avro").toAbsolutePath().normalize();
    }

    /** Runs {@code python3 ARGS} in the kit's directory; its output (stdout and stderr). */
    public static String run(List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3"));
        command.addAll(args);
        Process p =
                new ProcessBuilder(command)
                        .directory(directory().toFile())
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeout + ":\n" + out);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(
                    command
                            + " exited with "
                            + p.exitValue()
                            + " (needs python3-confluent-kafka and python3-avro:"
                            + " scripts/install-prereqs.sh --clients):\n"
                            + out);
        }
        return out;
    }
}
