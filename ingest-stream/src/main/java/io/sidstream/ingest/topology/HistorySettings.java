package io.sidstream.ingest.topology;

import io.sidstream.schemas.v1.InteractionType;

import java.time.Duration;
import java.util.Set;

/**
 * Settings of the user-history topology.
 *
 * @param applicationId tags dead letters
 * @param historyLength entries kept per user (N), newest by event time
 * @param lateness how far behind the user's newest event an event may be and still be inserted
 * @param maxFuture events further ahead of the wall clock are rejected
 * @param pendingTimeout how long an interaction waits for its item's SID before the DLQ
 * @param pendingCheck how often waiting interactions are retried
 * @param acceptedTypes interaction types that enter histories (others are counted and skipped)
 * @param requestPolicy when to publish a retrieval request for the user
 * @param candidates K of the published retrieval requests
 * @param debounce with {@link RequestPolicy#DEBOUNCED}: one request per user at most this long
 *     after the first change since the last request
 */
public record HistorySettings(
        String applicationId,
        int historyLength,
        Duration lateness,
        Duration maxFuture,
        Duration pendingTimeout,
        Duration pendingCheck,
        Set<InteractionType> acceptedTypes,
        RequestPolicy requestPolicy,
        int candidates,
        Duration debounce) {

    /** When the history topology publishes {@code retrieval.requests.v1} records. */
    public enum RequestPolicy {
        /** After every interaction that changed the history. */
        EVERY_INTERACTION,
        /** At most one per user per debounce interval, carrying the history as it is then. */
        DEBOUNCED,
        /** Never: requests come from elsewhere (HTTP, other producers). */
        NEVER
    }

    public HistorySettings {
        acceptedTypes = Set.copyOf(acceptedTypes);
        if (historyLength < 1 || candidates < 1) {
            throw new IllegalArgumentException("historyLength and candidates must be >= 1");
        }
    }
}
