package io.sidstream.datasets.scale;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Datasets;
import io.sidstream.datasets.Interaction;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ScaleGeneratorTest {
    static final List<CatalogItem> BASE =
            Datasets.readCatalog(Path.of("..", "data", "movietweetings-100k", "movies.dat"));

    @Test
    void isDeterministicKeepsTheRealGenresAndSkewsPopularityInTimeOrder() {
        int items = 3 * BASE.size();
        ScaleGenerator a = new ScaleGenerator(BASE, items, 1.0, 42, 0, 86_400_000L);
        ScaleGenerator b = new ScaleGenerator(BASE, items, 1.0, 42, 0, 86_400_000L);
        List<Interaction> first = take(a.interactions(200_000, 5_000, 0.8), 200_000);
        assertThat(take(b.interactions(200_000, 5_000, 0.8), 200_000)).isEqualTo(first);
        assertThat(a.item(items - 1)).isEqualTo(b.item(items - 1));
        assertThat(a.listedAtMillis(123)).isEqualTo(b.listedAtMillis(123));

        // Three variants of every real item: each genre three times as often as in the base.
        Map<String, Integer> baseGenres = new HashMap<>();
        BASE.forEach(c -> c.categories().forEach(g -> baseGenres.merge(g, 3, Integer::sum)));
        Map<String, Integer> genres = new HashMap<>();
        for (int i = 0; i < items; i++) {
            a.item(i).categories().forEach(g -> genres.merge(g, 1, Integer::sum));
        }
        assertThat(genres).isEqualTo(baseGenres);
        assertThat(a.item(BASE.size() + 5).title()).isEqualTo(BASE.get(5).title() + " (1)");

        long previous = Long.MIN_VALUE;
        Map<String, Integer> perItem = new HashMap<>();
        for (Interaction e : first) {
            assertThat(e.timestampMillis()).isGreaterThanOrEqualTo(previous);
            previous = e.timestampMillis();
            perItem.merge(e.itemId(), 1, Integer::sum);
        }
        List<Integer> counts = new ArrayList<>(perItem.values());
        counts.sort((x, y) -> y - x);
        long top1Percent = counts.stream().limit(items / 100).mapToLong(Integer::longValue).sum();
        assertThat(top1Percent)
                .as("the top 1 %% of items take a large share")
                .isGreaterThan(200_000 / 4);
        assertThat(perItem.size()).as("and the tail is long").isGreaterThan(items / 4);
    }

    private static List<Interaction> take(Iterator<Interaction> it, int n) {
        List<Interaction> out = new ArrayList<>(n);
        while (it.hasNext() && out.size() < n) {
            out.add(it.next());
        }
        return out;
    }
}
