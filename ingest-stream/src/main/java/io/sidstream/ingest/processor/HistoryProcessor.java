package io.sidstream.ingest.processor;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.errors.RejectReason;
import io.sidstream.ingest.errors.SourceProvenance;
import io.sidstream.ingest.metrics.HistoryMetrics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.topology.HistorySettings;
import io.sidstream.ingest.v1.HistoryItem;
import io.sidstream.ingest.v1.HistoryState;
import io.sidstream.ingest.v1.PendingInteraction;
import io.sidstream.ingest.v1.PendingInteractions;
import io.sidstream.platform.errors.DeadLetters;
import io.sidstream.platform.errors.RecordDecoder;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Maintains per-user histories (keyed by user id) from interaction events.
 *
 * <ul>
 *   <li>Entries are ordered by event time; an out-of-order event is inserted in place unless it is
 *       more than {@code lateness} behind the user's newest event (then: DLQ, TOO_LATE). Only the
 *       newest N are kept. A repeated event id is ignored.
 *   <li>The store keeps item ids, not SIDs: SIDs are looked up in the global {@code item-sid-index}
 *       when a history is emitted, so an item whose SID changed never appears with a stale SID, and
 *       a delisted item drops out of emitted histories.
 *   <li>An interaction whose item has no SID yet (it raced its listing) waits in {@code
 *       user-pending}, in the user's own partition; a wall-clock punctuation retries waiting
 *       interactions and sends those older than {@code pendingTimeout} to the DLQ (SID_TIMEOUT).
 * </ul>
 */
public final class HistoryProcessor implements Processor<String, byte[], String, HistoryOutput> {

    private static final RecordDecoder<InteractionEvent> EVENT_DECODER =
            RecordDecoder.of(Topics.INTERACTIONS);
    private static final Comparator<HistoryItem> ORDER =
            Comparator.comparingLong(HistoryItem::getEventTime)
                    .thenComparing(HistoryItem::getEventId);

    private final HistorySettings settings;

    /** Headers of the record being processed; null in punctuations. */
    private Headers current;

    private ProcessorContext<String, HistoryOutput> context;
    private KeyValueStore<String, HistoryState> histories;
    private KeyValueStore<String, PendingInteractions> pending;
    private KeyValueStore<String, ItemSid> sids;
    private KeyValueStore<String, Long> due;

    private final HistoryMetrics metrics;

    public HistoryProcessor(HistorySettings settings) {
        this(settings, new HistoryMetrics(new SimpleMeterRegistry()));
    }

    public HistoryProcessor(HistorySettings settings, HistoryMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, HistoryOutput> context) {
        this.context = context;
        this.histories = context.getStateStore(IngestStores.USER_HISTORY);
        this.pending = context.getStateStore(IngestStores.USER_PENDING);
        this.sids = context.getStateStore(IngestStores.ITEM_SID_INDEX);
        this.due = context.getStateStore(IngestStores.USER_REQUEST_DUE);
        context.schedule(
                settings.pendingCheck(),
                PunctuationType.WALL_CLOCK_TIME,
                now -> {
                    retryPending(now);
                    publishDue(now);
                });
    }

    @Override
    public void process(Record<String, byte[]> record) {
        current = record.headers();
        try {
            onEvent(record);
        } finally {
            current = null;
        }
    }

    private void onEvent(Record<String, byte[]> record) {
        String user = record.key();
        byte[] bytes = record.value();
        if (user == null || user.isBlank()) {
            reject(user, bytes, RejectReason.MISSING_ID, "record has no key (user id)");
            return;
        }
        if (bytes == null) {
            return; // a tombstone on an event stream carries nothing to apply
        }
        RecordDecoder.Result<InteractionEvent> decoded = EVENT_DECODER.decode(bytes);
        if (decoded instanceof RecordDecoder.Failed<InteractionEvent> failed) {
            reject(user, bytes, RejectReason.of(failed.reason()), failed.explanation());
            return;
        }
        InteractionEvent event = ((RecordDecoder.Decoded<InteractionEvent>) decoded).value();
        if (!user.equals(event.getUserId())) {
            reject(
                    user,
                    bytes,
                    RejectReason.KEY_MISMATCH,
                    "record key '" + user + "' differs from userId '" + event.getUserId() + "'");
            return;
        }
        if (event.getItemId() == null || event.getItemId().isBlank()) {
            reject(user, bytes, RejectReason.MISSING_ITEM_ID, "itemId is blank");
            return;
        }
        long now = context.currentSystemTimeMs();
        long eventTime = event.getEventTime().toEpochMilli();
        if (eventTime > now + settings.maxFuture().toMillis()) {
            reject(
                    user,
                    bytes,
                    RejectReason.FUTURE_EVENT,
                    "event time "
                            + event.getEventTime()
                            + " is more than "
                            + settings.maxFuture()
                            + " ahead of now");
            return;
        }
        if (!settings.acceptedTypes().contains(event.getEventType())) {
            return;
        }
        HistoryState state = histories.get(user);
        if (state != null
                && state.getEntries().stream()
                        .anyMatch(e -> e.getEventId().equals(event.getEventId()))) {
            metrics.duplicate();
            return;
        }
        PendingInteractions waiting = pending.get(user);
        if (waiting != null
                && waiting.getEvents().stream()
                        .anyMatch(e -> e.getEventId().equals(event.getEventId()))) {
            metrics.duplicate();
            return;
        }
        HistoryItem item = new HistoryItem(event.getItemId(), event.getEventId(), eventTime);
        // Lateness is judged on arrival, against what was applied before this interaction came:
        // one that must wait for its item's SID keeps its place, and the newer interactions
        // applied meanwhile cannot make it late.
        Long newestNow = newestApplied(state);
        if (isLate(eventTime, newestNow)) {
            rejectLate(user, bytes, eventTime, newestNow);
            return;
        }
        if (sids.get(event.getItemId()) == null) {
            List<PendingInteraction> events =
                    waiting == null ? new ArrayList<>() : new ArrayList<>(waiting.getEvents());
            events.add(
                    new PendingInteraction(
                            event.getItemId(),
                            event.getEventId(),
                            eventTime,
                            now,
                            ByteBuffer.wrap(bytes),
                            newestNow == null ? Long.MIN_VALUE : newestNow));
            pending.put(user, new PendingInteractions(events));
            metrics.deferred();
            return;
        }
        insert(user, item);
    }

    private static Long newestApplied(HistoryState state) {
        return state == null || state.getEntries().isEmpty()
                ? null
                : state.getEntries().get(state.getEntries().size() - 1).getEventTime();
    }

    private boolean isLate(long eventTime, Long newest) {
        return newest != null
                && newest != Long.MIN_VALUE
                && eventTime < newest - settings.lateness().toMillis();
    }

    private void rejectLate(String user, byte[] raw, long eventTime, long newest) {
        reject(
                user,
                raw,
                RejectReason.TOO_LATE,
                "event time "
                        + Instant.ofEpochMilli(eventTime)
                        + " is more than "
                        + settings.lateness()
                        + " behind the user's newest event "
                        + Instant.ofEpochMilli(newest)
                        + " when it arrived");
    }

    /** Inserts an accepted interaction in event-time order and emits the new history. */
    private void insert(String user, HistoryItem item) {
        HistoryState state = histories.get(user);
        List<HistoryItem> entries =
                state == null ? new ArrayList<>() : new ArrayList<>(state.getEntries());
        int at = 0;
        while (at < entries.size() && ORDER.compare(entries.get(at), item) <= 0) {
            at++;
        }
        entries.add(at, item);
        while (entries.size() > settings.historyLength()) {
            entries.remove(0);
        }
        histories.put(user, new HistoryState(entries));
        metrics.applied();
        emit(user, entries, item.getEventId());
    }

    private void emit(String user, List<HistoryItem> entries, String causeEventId) {
        List<HistoryEntry> resolved = resolve(entries);
        long ts = context.currentSystemTimeMs();
        context.forward(
                new Record<>(
                        user,
                        new HistoryOutput.History(
                                new UserHistory(user, resolved, Instant.ofEpochMilli(ts))),
                        ts));
        switch (settings.requestPolicy()) {
            case EVERY_INTERACTION -> request(user, user + "-" + causeEventId, resolved);
            case DEBOUNCED -> {
                if (due.get(user) == null) {
                    due.put(user, ts + settings.debounce().toMillis());
                }
            }
            case NEVER -> {}
        }
    }

    /** Publishes debounced requests whose time has come, with the history as it is now. */
    private void publishDue(long now) {
        List<KeyValue<String, Long>> ready = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = due.all()) {
            it.forEachRemaining(
                    kv -> {
                        if (kv.value <= now) {
                            ready.add(kv);
                        }
                    });
        }
        for (KeyValue<String, Long> kv : ready) {
            due.delete(kv.key);
            HistoryState state = histories.get(kv.key);
            if (state != null) {
                request(kv.key, kv.key + "-" + kv.value, resolve(state.getEntries()));
            }
        }
    }

    private void request(String user, String requestId, List<HistoryEntry> resolved) {
        long ts = context.currentSystemTimeMs();
        RetrievalRequest request =
                RetrievalRequest.newBuilder()
                        .setRequestId(requestId)
                        .setUserId(user)
                        .setHistory(resolved)
                        .setNumCandidates(settings.candidates())
                        .setExcludeSeen(true)
                        .setRequestedAt(Instant.ofEpochMilli(ts))
                        .build();
        context.forward(new Record<>(user, new HistoryOutput.Request(request), ts));
    }

    /** The entries with their items' current SIDs; items without one (delisted) drop out. */
    private List<HistoryEntry> resolve(List<HistoryItem> entries) {
        List<HistoryEntry> resolved = new ArrayList<>();
        for (HistoryItem e : entries) {
            ItemSid sid = sids.get(e.getItemId());
            if (sid != null) {
                resolved.add(
                        new HistoryEntry(
                                e.getItemId(),
                                sid.getSid(),
                                Instant.ofEpochMilli(e.getEventTime())));
            }
        }
        return resolved;
    }

    private void retryPending(long now) {
        int waiting = 0;
        List<KeyValue<String, PendingInteractions>> all = new ArrayList<>();
        try (KeyValueIterator<String, PendingInteractions> it = pending.all()) {
            it.forEachRemaining(all::add);
        }
        for (KeyValue<String, PendingInteractions> kv : all) {
            List<PendingInteraction> still = new ArrayList<>();
            for (PendingInteraction p : kv.value.getEvents()) {
                if (sids.get(p.getItemId()) != null) {
                    Long legacyNewest =
                            p.getNewestAtArrival() == null
                                    ? newestApplied(histories.get(kv.key))
                                    : null;
                    if (isLate(p.getEventTime(), legacyNewest)) {
                        // Waiting since an older build, which recorded no arrival reference.
                        rejectLate(kv.key, bytes(p.getRaw()), p.getEventTime(), legacyNewest);
                    } else {
                        insert(
                                kv.key,
                                new HistoryItem(p.getItemId(), p.getEventId(), p.getEventTime()));
                    }
                } else if (now - p.getReceivedAt() > settings.pendingTimeout().toMillis()) {
                    reject(
                            kv.key,
                            bytes(p.getRaw()),
                            RejectReason.SID_TIMEOUT,
                            "item "
                                    + p.getItemId()
                                    + " got no SID within "
                                    + settings.pendingTimeout());
                } else {
                    still.add(p);
                }
            }
            if (still.isEmpty()) {
                pending.delete(kv.key);
            } else if (still.size() != kv.value.getEvents().size()) {
                pending.put(kv.key, new PendingInteractions(still));
            }
            waiting += still.size();
        }
        metrics.pending(context.taskId().toString(), waiting);
    }

    @Override
    public void close() {
        if (context != null) {
            metrics.taskClosed(context.taskId().toString());
        }
    }

    private void reject(String user, byte[] bytes, RejectReason reason, String explanation) {
        metrics.deadLetter(reason);
        var letter =
                DeadLetters.of(
                        SourceProvenance.of(context, current, Topics.INTERACTIONS.name()),
                        user,
                        bytes,
                        reason.name(),
                        explanation,
                        settings.applicationId(),
                        Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.forward(
                new Record<>(
                        user, new HistoryOutput.Rejected(letter), context.currentSystemTimeMs()));
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
