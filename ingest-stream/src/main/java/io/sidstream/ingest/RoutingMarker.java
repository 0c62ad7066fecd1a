package io.sidstream.ingest;

import io.sidstream.ingest.topology.InputRouting;
import io.sidstream.platform.SidstreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Remembers, beside an instance's local state, the input routing that state was built under. The
 * routing shapes the topology, so a change renumbers its tasks, and Kafka Streams cannot reopen
 * stores in a task directory of another topology. After a change the local state is wiped once and
 * restored from the changelogs, which hold everything (the stores are all logged).
 */
final class RoutingMarker {
    private static final Logger LOG = LoggerFactory.getLogger(RoutingMarker.class);

    /** State from before the marker existed was built under the old default. */
    static final InputRouting UNMARKED = InputRouting.REPARTITION;

    private RoutingMarker() {}

    static Path file(Path stateDir, String applicationId) {
        return stateDir.resolve(applicationId + ".input-routing");
    }

    /**
     * Calls {@code wipe} when local state exists that was built under another routing, then records
     * {@code routing}.
     */
    static void reconcile(
            Path stateDir, String applicationId, InputRouting routing, Runnable wipe) {
        Path marker = file(stateDir, applicationId);
        try {
            boolean stateExists = Files.isDirectory(stateDir.resolve(applicationId));
            InputRouting built = UNMARKED;
            if (Files.exists(marker)) {
                built =
                        InputRouting.valueOf(
                                Files.readString(marker, StandardCharsets.UTF_8).trim());
            }
            if (stateExists && built != routing) {
                LOG.info(
                        "input routing changed from {} to {} application={}: local state is"
                                + " rebuilt from the changelogs",
                        built,
                        routing,
                        applicationId);
                wipe.run();
            }
            Files.createDirectories(stateDir);
            Files.writeString(marker, routing.name(), StandardCharsets.UTF_8);
        } catch (IOException | IllegalArgumentException e) {
            throw new SidstreamException(
                    "cannot read or write " + marker + " (delete it to rebuild local state): " + e,
                    e);
        }
    }
}
