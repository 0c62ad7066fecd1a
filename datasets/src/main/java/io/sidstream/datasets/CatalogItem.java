package io.sidstream.datasets;

import io.sidstream.sid.data.ItemText;

import java.util.List;
import java.util.Objects;

/**
 * An item of a catalog file: what the content embedding is computed from.
 *
 * @param itemId stable item id
 * @param title display title (for movies it includes the year, e.g. {@code "Heat (1995)"})
 * @param description optional free text, {@code null} when absent
 * @param categories category or genre names, possibly empty
 * @param brand optional brand, {@code null} when absent
 */
public record CatalogItem(
        String itemId, String title, String description, List<String> categories, String brand) {

    public CatalogItem {
        Objects.requireNonNull(itemId, "itemId");
        Objects.requireNonNull(title, "title");
        categories = List.copyOf(categories);
    }

    /** The text the sentence encoder sees; see {@link ItemText}. */
    public String text() {
        return ItemText.compose(title, description, categories, brand);
    }
}
