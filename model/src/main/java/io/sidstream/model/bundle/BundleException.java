package io.sidstream.model.bundle;

import io.sidstream.platform.SidstreamException;

import java.nio.file.Path;
import java.util.List;

/**
 * A model bundle is missing, corrupt or inconsistent. Fatal at start-up: serving with a model that
 * does not match its manifest would emit wrong SIDs silently.
 */
public final class BundleException extends SidstreamException {
    private static final long serialVersionUID = 1L;
    private final transient List<String> problems;

    public BundleException(Path bundle, List<String> problems) {
        super(
                "model bundle "
                        + bundle
                        + " is not usable ("
                        + problems.size()
                        + " problem"
                        + (problems.size() == 1 ? "" : "s")
                        + "):\n  - "
                        + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, one sentence each. */
    public List<String> problems() {
        return problems;
    }
}
