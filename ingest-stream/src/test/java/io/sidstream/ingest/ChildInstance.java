package io.sidstream.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** An ingest-stream instance in its own JVM, so a test can kill it with SIGKILL. */
final class ChildInstance {
    private ChildInstance() {}

    static Process start(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // ONNX Runtime 1.29 crashes (SIGSEGV) in processes whose command line exceeds about 4 KB,
        // so the long test classpath goes into an argument file, as the launcher script avoids
        // it with a wildcard classpath.
        Path argFile = log.resolveSibling(log.getFileName() + ".args");
        Files.writeString(argFile, "-cp\n" + System.getProperty("java.class.path") + "\n");
        ProcessBuilder pb =
                new ProcessBuilder(java, "-Xmx1g", "@" + argFile, IngestMain.class.getName())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits until the child logs that it is running; fails with its log if it exits first. */
    static void awaitRunning(Process process, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("ingest-stream running")) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError(
                        "child instance exited with "
                                + process.exitValue()
                                + ": "
                                + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new AssertionError(
                "child instance not running within 2 minutes: " + Files.readString(log));
    }
}
