package io.sidstream.app.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The eval's baselines see only the past and rank what they should. */
class BaselinesTest {
    @Test
    void recentPopularityCountsExactlyTheEventsOfTheWindowBeforeTheRequest() {
        List<String> items = List.of("a", "a", "b", "b", "b", "c");
        long[] times = {0, 10, 20, 30, 40, 50};
        RecentPopularity window = new RecentPopularity(items, times, 25);
        window.advanceTo(21); // [-4, 21): a, a, b
        assertThat(window.ranking()).containsExactly("a", "b");
        window.advanceTo(50); // [25, 50): b, b; the event at 50 is not before the request
        assertThat(window.ranking()).containsExactly("b");
        window.advanceTo(100); // [75, 100): nothing
        assertThat(window.ranking()).isEmpty();
        assertThat(RecentPopularity.top(List.of("b"), List.of("a", "b", "c"), Set.of("a"), 5))
                .containsExactly("b", "c");
    }

    @Test
    void itemKnnRanksTheCoOccurringItemsOfTheLastHistoryItemsFirst() {
        ItemKnn knn =
                new ItemKnn(
                        List.of(
                                List.of("x", "y", "z"),
                                List.of("x", "y"),
                                List.of("q", "r", "s", "t", "u", "y")),
                        2,
                        1);
        // y co-occurs with x twice, z once; far-apart q never counts (distance 2).
        assertThat(knn.rank(List.of("q", "y"), List.of("p"), Set.of("q", "y"), 4))
                .containsExactly("x", "t", "u", "z");
        RankMetrics m = new RankMetrics();
        m.add(0);
        m.add(-1);
        assertThat(m.recallAt10()).isEqualTo(0.5);
        assertThat(m.ndcgAt10()).isEqualTo(0.5);
    }
}
