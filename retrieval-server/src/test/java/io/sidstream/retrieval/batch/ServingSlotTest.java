package io.sidstream.retrieval.batch;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServingSlotTest {

    /** A model whose resources record being closed, and how often. */
    private static final class Tracked {
        final AtomicInteger closes = new AtomicInteger();
        final ServingSlot.Model model;

        Tracked(String version) {
            model = new ServingSlot.Model(version, null, closes::incrementAndGet);
        }
    }

    @Test
    void shouldCloseAReplacedModelOnlyAfterTheLastBatchLeasingItEnds() {
        Tracked a = new Tracked("a");
        Tracked b = new Tracked("b");
        ServingSlot slot = new ServingSlot(a.model);
        ServingSlot.Lease inFlight = slot.lease();

        assertThat(slot.swap(b.model)).isSameAs(a.model);
        try (ServingSlot.Lease next = slot.lease()) {
            assertThat(next.model().version()).isEqualTo("b");
        }
        assertThat(a.closes).hasValue(0);
        inFlight.close();
        inFlight.close();
        assertThat(a.closes).hasValue(1);

        slot.close();
        assertThat(b.closes).hasValue(1);
        assertThatThrownBy(slot::lease).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldNeverHandOutAClosedModelWhileSwapsRaceWithLeases() throws Exception {
        List<Tracked> models = new CopyOnWriteArrayList<>();
        Tracked first = new Tracked("0");
        models.add(first);
        ServingSlot slot = new ServingSlot(first.model);
        AtomicBoolean stop = new AtomicBoolean();
        List<String> problems = new CopyOnWriteArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread reader =
                    new Thread(
                            () -> {
                                while (!stop.get()) {
                                    try (ServingSlot.Lease lease = slot.lease()) {
                                        if (lease.model().closed()) {
                                            problems.add(
                                                    "leased closed " + lease.model().version());
                                        }
                                        Thread.onSpinWait();
                                        if (lease.model().closed()) {
                                            problems.add("closed under " + lease.model().version());
                                        }
                                    }
                                }
                            });
            reader.start();
            readers.add(reader);
        }
        for (int i = 1; i <= 2_000; i++) {
            Tracked next = new Tracked(Integer.toString(i));
            models.add(next);
            slot.swap(next.model);
        }
        stop.set(true);
        for (Thread reader : readers) {
            reader.join();
        }
        assertThat(problems).isEmpty();
        // Every replaced model closed exactly once; the current one is still open.
        for (int i = 0; i < models.size() - 1; i++) {
            assertThat(models.get(i).closes).as("model %d", i).hasValue(1);
        }
        assertThat(models.get(models.size() - 1).closes).hasValue(0);
    }
}
