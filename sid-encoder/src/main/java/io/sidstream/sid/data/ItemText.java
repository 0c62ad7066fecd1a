package io.sidstream.sid.data;

import java.util.List;

/**
 * Composes the text of an item that the sentence encoder embeds. Training (through the {@code
 * embed} command) and serving (SID assignment of live item events) both call this one method, so
 * the RQ-VAE never sees text composed differently from what it was trained on.
 *
 * <p>Shape: {@code "<title>[ by <brand>]. Categories: <c1>, <c2>[. <description>]"}; parts that are
 * absent are left out.
 */
public final class ItemText {
    private ItemText() {}

    /** The embedded text for these item fields; nullable fields may be {@code null}. */
    public static String compose(
            String title, String description, List<String> categories, String brand) {
        StringBuilder text = new StringBuilder(title.strip());
        if (brand != null && !brand.isBlank()) {
            text.append(" by ").append(brand.strip());
        }
        if (categories != null && !categories.isEmpty()) {
            text.append(". Categories: ").append(String.join(", ", categories));
        }
        if (description != null && !description.isBlank()) {
            text.append(". ").append(description.strip());
        }
        return text.toString();
    }
}
