package io.sidstream.ingest.processor;

import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.PrefixCommandType;
import io.sidstream.ingest.v1.SidConfirmation;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CollisionProcessorTest {
    private MockProcessorContext<String, SidConfirmation> context;
    private CollisionProcessor processor;

    @BeforeEach
    void setUp() {
        context = new MockProcessorContext<>();
        KeyValueStore<String, io.sidstream.ingest.v1.PrefixSlots> store =
                Stores.keyValueStoreBuilder(
                                Stores.inMemoryKeyValueStore(IngestStores.PREFIX_SLOTS),
                                Serdes.String(),
                                io.sidstream.ingest.store.InternalSchemas.serde(
                                        io.sidstream.ingest.v1.PrefixSlots.class))
                        .withLoggingDisabled()
                        .build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        processor = new CollisionProcessor(2);
        processor.init(context);
    }

    private void command(PrefixCommandType type, String item, long seq) {
        processor.process(
                new Record<>(
                        "1.2.3",
                        PrefixCommand.newBuilder()
                                .setType(type)
                                .setItemId(item)
                                .setSeq(seq)
                                .setCodes(List.of(1, 2, 3))
                                .setEventTime(0)
                                .setReceivedAt(0)
                                .build(),
                        0L));
    }

    private SidConfirmation last() {
        var forwarded = context.forwarded();
        return forwarded.get(forwarded.size() - 1).record().value();
    }

    @Test
    void shouldHandOutTheSmallestFreeCodeAndRejectWhenThePrefixIsFull() {
        command(PrefixCommandType.ASSIGN, "a", 1);
        assertThat(last().getSid()).containsExactly(1, 2, 3, 0);
        command(PrefixCommandType.ASSIGN, "b", 1);
        assertThat(last().getSid()).containsExactly(1, 2, 3, 1);
        command(PrefixCommandType.ASSIGN, "c", 1);
        assertThat(last().getSid()).isNull();
        assertThat(last().getRejection()).contains("all 2 collision codes of SID prefix 1.2.3");
        assertThat(context.forwarded().get(2).record().key()).isEqualTo("c");
    }

    @Test
    void shouldKeepAnItemsCodeOnRepeatedClaimsAndFreeItOnRelease() {
        command(PrefixCommandType.ASSIGN, "a", 1);
        command(PrefixCommandType.ASSIGN, "b", 1);
        command(PrefixCommandType.ASSIGN, "b", 2);
        assertThat(last().getSid()).containsExactly(1, 2, 3, 1);
        assertThat(last().getSeq()).isEqualTo(2);
        command(PrefixCommandType.RELEASE, "a", 1);
        command(PrefixCommandType.ASSIGN, "c", 1);
        assertThat(last().getSid()).containsExactly(1, 2, 3, 0);
    }

    @Test
    void shouldFindTheSmallestGap() {
        assertThat(CollisionProcessor.smallestFree(List.of())).isZero();
        assertThat(CollisionProcessor.smallestFree(List.of(0, 2, 1, 4))).isEqualTo(3);
    }
}
