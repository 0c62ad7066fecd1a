package io.sidstream.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetsTest {
    static final Path DEMO_DATA = Path.of("..", "data", "movietweetings-100k");

    @Test
    void shouldReadTheWholeDemoCatalog() {
        List<CatalogItem> items = Datasets.readCatalog(DEMO_DATA.resolve("movies.dat"));
        assertThat(items).hasSize(10_506);
        assertThat(items.get(0).itemId()).isEqualTo("0002844");
        assertThat(items.stream().filter(i -> i.categories().isEmpty())).hasSize(66);
        CatalogItem pulp =
                items.stream().filter(i -> i.itemId().equals("0110912")).findFirst().orElseThrow();
        assertThat(pulp.text()).isEqualTo("Pulp Fiction (1994). Categories: Crime, Thriller");
    }

    @Test
    void shouldReadInteractionsInEventTimeOrder() {
        List<Interaction> events = Datasets.readInteractions(DEMO_DATA.resolve("ratings.dat"));
        assertThat(events).hasSize(100_000);
        assertThat(events)
                .isSortedAccordingTo(
                        java.util.Comparator.comparingLong(Interaction::timestampMillis));
        assertThat(events.get(0).timestampMillis()).isEqualTo(1_362_062_307_000L);
        assertThat(events.get(0).eventType()).isEqualTo("RATING");
    }

    @Test
    void shouldReadJsonLines(@TempDir Path dir) throws IOException {
        Path catalog = dir.resolve("items.jsonl");
        Files.writeString(
                catalog,
                "{\"itemId\":\"a\",\"title\":\"Kettle\",\"brand\":\"Acme\","
                        + "\"categories\":[\"Kitchen\"],\"description\":\"Boils water.\"}\n\n"
                        + "{\"itemId\":\"b\",\"title\":\"Mug\"}\n");
        assertThat(Datasets.readCatalog(catalog))
                .extracting(CatalogItem::text)
                .containsExactly("Kettle by Acme. Categories: Kitchen. Boils water.", "Mug");

        Path events = dir.resolve("events.jsonl");
        Files.writeString(
                events,
                "{\"userId\":\"u\",\"itemId\":\"b\",\"eventType\":\"PURCHASE\",\"eventTime\":20}\n"
                        + "{\"userId\":\"u\",\"itemId\":\"a\",\"value\":2.5,\"eventTime\":10}\n");
        assertThat(Datasets.readInteractions(events))
                .extracting(Interaction::itemId, Interaction::eventType)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("a", "OTHER"),
                        org.assertj.core.groups.Tuple.tuple("b", "PURCHASE"));
    }

    @Test
    void shouldNameFileAndLineOfAMalformedRow(@TempDir Path dir) throws IOException {
        Path ratings = dir.resolve("ratings.dat");
        Files.writeString(ratings, "1::0110912::7::1365029107\n2::0110912::seven::1365029107\n");
        assertThatThrownBy(() -> Datasets.readInteractions(ratings))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("ratings.dat:2")
                .hasMessageContaining("bad number");
    }
}
