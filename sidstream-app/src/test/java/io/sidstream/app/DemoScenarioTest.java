package io.sidstream.app;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Interaction;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class DemoScenarioTest {
    private static CatalogItem item(String id) {
        return new CatalogItem(id, "title " + id, "", List.of(), "");
    }

    private static Interaction event(String user, String item, long t) {
        return new Interaction(user, item, "RATING", 5, t);
    }

    @Test
    void shouldListItemsFirstSeenLateJustBeforeTheirFirstInteractionAndEverythingElseUpFront() {
        List<CatalogItem> catalog = IntStream.range(0, 6).mapToObj(i -> item("i" + i)).toList();
        List<Interaction> events =
                List.of(
                        event("u1", "i0", 1_000),
                        event("u2", "i1", 2_000),
                        event("u1", "i9", 2_500), // not in the catalog: dropped
                        event("u1", "i1", 3_000),
                        event("u2", "i2", 4_000), // first seen in the last half: late
                        event("u1", "i0", 5_000));

        DemoScenario scenario = DemoScenario.of(catalog, events, 6, 100, 0.5);

        assertThat(scenario.interactions()).hasSize(5).noneMatch(e -> e.itemId().equals("i9"));
        assertThat(scenario.listAt()).containsOnly(org.assertj.core.api.Assertions.entry(3, "i2"));
        assertThat(scenario.initial())
                .extracting(CatalogItem::itemId)
                .containsExactly("i0", "i1", "i3", "i4", "i5");
        assertThat(scenario.itemsListed()).isEqualTo(6);
        // Listed a day before the first recorded interaction: only late items look new.
        assertThat(scenario.catalogListedAt().toEpochMilli()).isEqualTo(1_000 - 86_400_000L);
    }

    @Test
    void shouldHonourTheItemAndInteractionLimits() {
        List<CatalogItem> catalog = IntStream.range(0, 6).mapToObj(i -> item("i" + i)).toList();
        List<Interaction> events =
                IntStream.range(0, 20).mapToObj(i -> event("u", "i" + (i % 6), i)).toList();

        DemoScenario scenario = DemoScenario.of(catalog, events, 3, 4, 0.0);

        assertThat(scenario.byId()).containsOnlyKeys("i0", "i1", "i2");
        assertThat(scenario.interactions())
                .hasSize(4)
                .allMatch(e -> scenario.byId().containsKey(e.itemId()));
        assertThat(scenario.listAt()).isEmpty();
    }
}
