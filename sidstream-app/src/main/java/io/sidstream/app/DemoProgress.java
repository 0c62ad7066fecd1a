package io.sidstream.app;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * How far a demo run got, saved in its work directory so that a rerun resumes: whether the initial
 * catalog was listed, how many interactions were replayed (flushed to Kafka), and when the
 * cold-start phase began. A work directory of a different run (other data, limits or cluster) is
 * refused rather than mixed.
 */
final class DemoProgress {
    private static final String FILE = "progress.properties";

    private final Path file;
    private final String runKey;
    private final boolean isNew;
    boolean initialListed;
    int replayed;
    long coldStartFrom;

    private DemoProgress(Path file, String runKey, boolean isNew) {
        this.file = file;
        this.runKey = runKey;
        this.isNew = isNew;
    }

    static DemoProgress load(Path workDir, String runKey) throws IOException {
        Path file = workDir.resolve(FILE);
        if (!Files.exists(file)) {
            return new DemoProgress(file, runKey, true);
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        if (!runKey.equals(p.getProperty("run"))) {
            throw new IllegalArgumentException(
                    workDir
                            + " holds another demo run ("
                            + p.getProperty("run")
                            + "); rerun with --fresh to discard it, or pick another --work-dir");
        }
        DemoProgress progress = new DemoProgress(file, runKey, false);
        progress.initialListed = Boolean.parseBoolean(p.getProperty("initialListed"));
        progress.replayed = Integer.parseInt(p.getProperty("replayed", "0"));
        progress.coldStartFrom = Long.parseLong(p.getProperty("coldStartFrom", "0"));
        return progress;
    }

    boolean isNew() {
        return isNew;
    }

    /** Written to a temporary file and moved into place, so a crash never leaves half a file. */
    void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("run", runKey);
        p.setProperty("initialListed", Boolean.toString(initialListed));
        p.setProperty("replayed", Integer.toString(replayed));
        p.setProperty("coldStartFrom", Long.toString(coldStartFrom));
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp)) {
            p.store(out, "sidstream demo progress");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
