package io.sidstream.contracts;

import io.sidstream.schemas.v1.Candidate;
import io.sidstream.schemas.v1.DeadLetter;
import io.sidstream.schemas.v1.HistoryEntry;
import io.sidstream.schemas.v1.InteractionEvent;
import io.sidstream.schemas.v1.InteractionType;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.schemas.v1.ItemSid;
import io.sidstream.schemas.v1.Recommendations;
import io.sidstream.schemas.v1.RetrievalRequest;
import io.sidstream.schemas.v1.UserHistory;
import org.apache.avro.specific.SpecificRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One fixed, fully populated sample per topic value type; golden files are encoded from these. */
final class SampleRecords {
    static final Instant T0 = Instant.parse("2013-03-01T12:00:00Z");

    private SampleRecords() {}

    static ItemEvent item() {
        return ItemEvent.newBuilder()
                .setItemId("0110912")
                .setTitle("Pulp Fiction (1994)")
                .setDescription("Crime anthology.")
                .setCategories(List.of("Crime", "Drama"))
                .setBrand("Miramax")
                .setEmbedding(List.of(0.25f, -0.5f, 1.0f))
                .setEventTime(T0)
                .build();
    }

    static ItemSid itemSid() {
        return ItemSid.newBuilder()
                .setItemId("0110912")
                .setSid(List.of(17, 203, 5, 0))
                .setModelVersion("movietweetings-rqvae-1")
                .setContentHash("9f86d081884c7d65")
                .setItemEventTime(T0)
                .setAssignedAt(T0.plusMillis(12))
                .build();
    }

    static InteractionEvent interaction() {
        return InteractionEvent.newBuilder()
                .setEventId("ev-1")
                .setUserId("42")
                .setItemId("0110912")
                .setEventType(InteractionType.RATING)
                .setValue(9.0)
                .setEventTime(T0.plusSeconds(60))
                .build();
    }

    static HistoryEntry historyEntry(String itemId, int offsetSeconds) {
        return HistoryEntry.newBuilder()
                .setItemId(itemId)
                .setSid(List.of(1, 2, 3, 0))
                .setEventTime(T0.plusSeconds(offsetSeconds))
                .build();
    }

    static UserHistory userHistory() {
        return UserHistory.newBuilder()
                .setUserId("42")
                .setEntries(List.of(historyEntry("0110912", 60), historyEntry("0068646", 120)))
                .setUpdatedAt(T0.plusSeconds(121))
                .build();
    }

    static RetrievalRequest retrievalRequest() {
        return RetrievalRequest.newBuilder()
                .setRequestId("req-1")
                .setUserId("42")
                .setHistory(List.of(historyEntry("0110912", 60)))
                .setLookupHistory(false)
                .setNumCandidates(10)
                .setBeamWidth(256)
                .setIncludePrefixes(List.of(List.of(17)))
                .setExcludePrefixes(List.of(List.of(17, 203)))
                .setExcludeSeen(true)
                .setRequestedAt(T0.plusSeconds(200))
                .build();
    }

    static Recommendations recommendations() {
        return Recommendations.newBuilder()
                .setRequestId("req-1")
                .setUserId("42")
                .setCandidates(
                        List.of(
                                new Candidate("0068646", List.of(17, 9, 4, 0), -1.25),
                                new Candidate("0071562", List.of(17, 9, 4, 1), -2.5)))
                .setExhausted(false)
                .setModelVersion("movietweetings-rqvae-1")
                .setIndexVersion(1234L)
                .setRequestedAt(T0.plusSeconds(200))
                .setReceivedAt(T0.plusMillis(200_003))
                .setCompletedAt(T0.plusMillis(200_050))
                .build();
    }

    static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setSourceTopic("items.raw.v1")
                .setPartition(3)
                .setOffset(77L)
                .setKey(ByteBuffer.wrap("0110912".getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setErrorClass("EMBEDDING_DIMENSION")
                .setReason("embedding has 3 dimensions, the model bundle expects 384")
                .setApplication("sidstream-ingest")
                .setFailedAt(T0.plusSeconds(1))
                .build();
    }

    /** Every sample by its record's simple name, in catalogue order. */
    static Map<String, SpecificRecord> all() {
        Map<String, SpecificRecord> all = new LinkedHashMap<>();
        for (SpecificRecord r :
                List.of(
                        item(),
                        itemSid(),
                        interaction(),
                        userHistory(),
                        retrievalRequest(),
                        recommendations(),
                        deadLetter())) {
            all.put(r.getSchema().getName(), r);
        }
        return all;
    }
}
