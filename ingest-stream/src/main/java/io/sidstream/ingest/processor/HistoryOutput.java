package io.sidstream.ingest.processor;

import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.schemas.v1.UserHistory;

/** What the history processor emits; the topology routes each kind to its topic. */
public sealed interface HistoryOutput {
    record Rejected(DeadLetter deadLetter) implements HistoryOutput {}

    record History(UserHistory history) implements HistoryOutput {}

    record Request(RetrievalRequest request) implements HistoryOutput {}
}
