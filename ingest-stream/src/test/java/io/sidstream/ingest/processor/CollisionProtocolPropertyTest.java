package io.sidstream.ingest.processor;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sidstream.contracts.Topics;
import io.sidstream.ingest.metrics.ItemMetrics;
import io.sidstream.ingest.store.IngestStores;
import io.sidstream.ingest.store.InternalSchemas;
import io.sidstream.ingest.topology.ItemAssignmentSettings;
import io.sidstream.ingest.v1.ItemState;
import io.sidstream.ingest.v1.PendingItem;
import io.sidstream.ingest.v1.PrefixCommand;
import io.sidstream.ingest.v1.PrefixSlots;
import io.sidstream.ingest.v1.SidConfirmation;
import io.sidstream.schemas.v1.ItemEvent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model-based test of the collision-code protocol: random sequences of list / change content /
 * delist over a few prefixes with 2 collision codes each, with commands and answers delivered in a
 * random interleaving (each prefix's commands and each item's answers in order, as a Kafka
 * partition keeps them; everything else delayed and reordered at random). After every step no two
 * live items share a full SID in the compacted {@code items.sid.v1} view; at the end every live
 * item has the SID of its latest content (or kept its old one and was dead-lettered PREFIX_FULL),
 * no delisted item has a SID, and no collision code is held by anything but a live item's SID.
 */
class CollisionProtocolPropertyTest {
    static final int SEQUENCES = 400;
    static final int STEPS = 80;
    private static final int ITEMS = 6;
    private static final int VARIANTS = 3;
    private static final int CODES = 2;

    @Test
    void shouldNeverShowTwoLiveItemsWithOneSidAndLoseNothing() {
        long steps = 0;
        for (int sequence = 0; sequence < SEQUENCES; sequence++) {
            steps += new Run(new Random(1_000L + sequence), sequence).play();
        }
        assertThat(steps).isEqualTo((long) SEQUENCES * STEPS);
    }

    /**
     * The model failing on one item of a batch dead-letters that item alone (MODEL_FAILURE); its
     * batch-mates get their SIDs.
     */
    @Test
    void shouldDeadLetterOnlyTheItemTheModelFailsOn() {
        FakeEncoder encoder = new FakeEncoder(CODES);
        encoder.failOn.add("poison");
        Run run = new Run(new Random(1), -1, encoder);
        run.list("item-0", 0);
        run.listTitled("item-1", "poison pill #1");
        run.list("item-2", 2);
        run.intake.flushPending();
        run.collect();
        run.drain();
        assertThat(run.view).containsOnlyKeys("item-0", "item-2");
        assertThat(run.letters).containsExactly("item-1:MODEL_FAILURE");
    }

    /** One random sequence against fresh processors and stores. */
    private static final class Run {
        private final Random random;
        private final int sequence;
        private final MockProcessorContext<String, IntakeOutput> intakeContext =
                new MockProcessorContext<>();
        private final MockProcessorContext<String, SidConfirmation> collisionContext =
                new MockProcessorContext<>();
        private final ItemIntakeProcessor intake;
        private final CollisionProcessor collision;
        private final KeyValueStore<String, PrefixSlots> slots;
        private final Map<String, ArrayDeque<PrefixCommand>> commands = new LinkedHashMap<>();
        private final Map<String, ArrayDeque<SidConfirmation>> answers = new LinkedHashMap<>();

        /** The compacted items.sid.v1 view: item -> full SID. */
        private final Map<String, List<Integer>> view = new HashMap<>();

        /** The oracle: live item -> variant of its latest content. */
        private final Map<String, Integer> live = new HashMap<>();

        /** Items dead-lettered PREFIX_FULL since their latest listing. */
        private final Set<String> full = new HashSet<>();

        /** Every dead letter, as "item:reason". */
        private final List<String> letters = new ArrayList<>();

        private int intakeSeen;
        private int collisionSeen;
        private long offset;

        Run(Random random, int sequence) {
            this(random, sequence, new FakeEncoder(CODES));
        }

        Run(Random random, int sequence, FakeEncoder encoder) {
            this.random = random;
            this.sequence = sequence;
            intakeContext.setCurrentSystemTimeMs(1_000);
            collisionContext.setCurrentSystemTimeMs(1_000);
            ItemAssignmentSettings settings =
                    new ItemAssignmentSettings("model-test", 4, Duration.ofSeconds(1), 4, 10_000);
            add(intakeContext, IngestStores.ITEM_STATE, ItemState.class);
            add(intakeContext, IngestStores.ITEM_PENDING, PendingItem.class);
            slots = add(collisionContext, IngestStores.PREFIX_SLOTS, PrefixSlots.class);
            intake =
                    new ItemIntakeProcessor(
                            encoder, settings, new ItemMetrics(new SimpleMeterRegistry(), 3, 16));
            intake.init(intakeContext);
            collision = new CollisionProcessor(CODES);
            collision.init(collisionContext);
        }

        /** The production store's name and serdes, in memory. */
        private static <V extends SpecificRecord> KeyValueStore<String, V> add(
                MockProcessorContext<?, ?> context, String name, Class<V> type) {
            KeyValueStore<String, V> store =
                    Stores.keyValueStoreBuilder(
                                    Stores.inMemoryKeyValueStore(name),
                                    Serdes.String(),
                                    InternalSchemas.serde(type))
                            .withLoggingDisabled()
                            .build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
            return store;
        }

        int play() {
            for (int step = 0; step < STEPS; step++) {
                int action = random.nextInt(10);
                String item = "item-" + random.nextInt(ITEMS);
                if (action < 3) {
                    list(item, random.nextInt(VARIANTS));
                } else if (action == 3) {
                    delist(item);
                } else if (action == 4) {
                    intake.flushPending();
                } else {
                    deliverOne();
                }
                collect();
                assertUnique("sequence " + sequence + " step " + step);
            }
            drain();
            assertQuiescentState();
            return STEPS;
        }

        private void list(String item, int variant) {
            listTitled(item, item + " #" + variant);
            if (!Integer.valueOf(variant).equals(live.put(item, variant))) {
                full.remove(item);
            }
        }

        private void listTitled(String item, String title) {
            ItemEvent event =
                    ItemEvent.newBuilder()
                            .setItemId(item)
                            .setTitle(title)
                            .setEventTime(Instant.ofEpochMilli(1_000))
                            .build();
            intakeContext.setRecordMetadata(Topics.ITEMS.name(), 0, offset++);
            intake.process(
                    new Record<>(
                            item,
                            new IntakeEvent.RawItem(
                                    Topics.ITEMS.valueSerde().serializer().serialize("t", event)),
                            0L));
        }

        private void delist(String item) {
            intakeContext.setRecordMetadata(Topics.ITEMS.name(), 0, offset++);
            intake.process(new Record<>(item, new IntakeEvent.RawItem(null), 0L));
            live.remove(item);
            full.remove(item);
        }

        /** Delivers the head of a random non-empty queue: a command or an answer. */
        private boolean deliverOne() {
            List<ArrayDeque<?>> ready = new ArrayList<>();
            commands.values().stream().filter(q -> !q.isEmpty()).forEach(ready::add);
            answers.values().stream().filter(q -> !q.isEmpty()).forEach(ready::add);
            if (ready.isEmpty()) {
                return false;
            }
            Object next = ready.get(random.nextInt(ready.size())).poll();
            if (next instanceof PrefixCommand command) {
                collision.process(
                        new Record<>(IngestStores.prefixKey(command.getCodes()), command, 0L));
            } else {
                intakeContext.setRecordMetadata("model-test-sid-confirmations", 0, offset++);
                intake.process(
                        new Record<>(
                                ((SidConfirmation) next).getItemId(),
                                new IntakeEvent.Confirmation((SidConfirmation) next),
                                0L));
            }
            return true;
        }

        private void collect() {
            var out = intakeContext.forwarded();
            for (; intakeSeen < out.size(); intakeSeen++) {
                var r = out.get(intakeSeen).record();
                if (r.value() instanceof IntakeOutput.Command c) {
                    commands.computeIfAbsent(r.key(), k -> new ArrayDeque<>()).add(c.command());
                } else if (r.value() instanceof IntakeOutput.Assigned a) {
                    if (a.sid() == null) {
                        view.remove(r.key());
                    } else {
                        view.put(r.key(), a.sid().getSid());
                    }
                } else if (r.value() instanceof IntakeOutput.Rejected rejected) {
                    letters.add(r.key() + ":" + rejected.deadLetter().getErrorClass());
                    if (rejected.deadLetter().getErrorClass().equals("PREFIX_FULL")) {
                        full.add(r.key());
                    }
                }
            }
            var answered = collisionContext.forwarded();
            for (; collisionSeen < answered.size(); collisionSeen++) {
                var r = answered.get(collisionSeen).record();
                assertThat(r.value().getReplyPartition())
                        .as("answers go back to the owner's partition")
                        .isEqualTo(0);
                answers.computeIfAbsent(r.key(), k -> new ArrayDeque<>()).add(r.value());
            }
        }

        private void assertUnique(String where) {
            Map<List<Integer>, String> holders = new HashMap<>();
            for (Map.Entry<String, List<Integer>> e : view.entrySet()) {
                assertThat(e.getValue().get(3)).as(where + ": collision code").isLessThan(CODES);
                String other = holders.put(e.getValue(), e.getKey());
                assertThat(other)
                        .as("%s: %s and %s share SID %s", where, other, e.getKey(), e.getValue())
                        .isNull();
            }
        }

        private void drain() {
            for (int guard = 0; guard < 100_000; guard++) {
                intake.flushPending();
                collect();
                if (!deliverOne()) {
                    intake.flushPending();
                    collect();
                    if (commands.values().stream().allMatch(ArrayDeque::isEmpty)
                            && answers.values().stream().allMatch(ArrayDeque::isEmpty)) {
                        return;
                    }
                }
                collect();
                assertUnique("sequence " + sequence + " draining");
            }
            throw new AssertionError("protocol did not quiesce");
        }

        private void assertQuiescentState() {
            String where = "sequence " + sequence + " at rest";
            assertThat(view.keySet())
                    .as(where + ": only live items have SIDs")
                    .isSubsetOf(live.keySet());
            for (Map.Entry<String, Integer> e : live.entrySet()) {
                List<Integer> sid = view.get(e.getKey());
                List<Integer> wanted = FakeEncoder.prefixOf(e.getValue());
                if (full.contains(e.getKey())) {
                    continue; // dead-lettered PREFIX_FULL: keeps its old SID, if it had one
                }
                assertThat(sid).as(where + ": %s has a SID", e.getKey()).isNotNull();
                assertThat(sid.subList(0, 3))
                        .as(where + ": %s has the SID of its latest content", e.getKey())
                        .isEqualTo(wanted);
            }
            // Every held code belongs to a live item's published SID: nothing leaked, nothing
            // double-booked.
            Map<String, Set<String>> holders = new HashMap<>();
            try (KeyValueIterator<String, PrefixSlots> it = slots.all()) {
                while (it.hasNext()) {
                    var kv = it.next();
                    holders.put(kv.key, new HashSet<>(kv.value.getItems()));
                }
            }
            Map<String, Set<String>> expected = new HashMap<>();
            view.forEach(
                    (item, sid) ->
                            expected.computeIfAbsent(
                                            IngestStores.prefixKey(sid.subList(0, 3)),
                                            k -> new HashSet<>())
                                    .add(item));
            assertThat(holders).as(where + ": collision codes held").isEqualTo(expected);
        }
    }
}
