package io.sidstream.ingest.processor;

import io.sidstream.ingest.errors.RejectReason;
import io.sidstream.schemas.v1.ItemEvent;
import io.sidstream.sid.ItemContent;
import io.sidstream.sid.data.ItemText;

import java.util.List;

/**
 * Checks an item event and turns it into the content its SID is computed from. Pure; one instance
 * per processor.
 */
public final class ItemValidator {
    private final int embeddingDimension;
    private final int maxTextChars;

    public ItemValidator(int embeddingDimension, int maxTextChars) {
        this.embeddingDimension = embeddingDimension;
        this.maxTextChars = maxTextChars;
    }

    /** Either the content, or why the event is rejected. */
    public sealed interface Result {}

    public record Valid(ItemContent content) implements Result {}

    public record Invalid(RejectReason reason, String explanation) implements Result {}

    public Result validate(String key, ItemEvent event) {
        String id = event.getItemId();
        if (id == null || id.isBlank()) {
            return new Invalid(RejectReason.MISSING_ID, "itemId is blank");
        }
        if (!id.equals(key)) {
            return new Invalid(
                    RejectReason.KEY_MISMATCH,
                    "record key '" + key + "' differs from itemId '" + id + "'");
        }
        List<Float> embedding = event.getEmbedding();
        if (embedding != null) {
            if (embedding.size() != embeddingDimension) {
                return new Invalid(
                        RejectReason.EMBEDDING_DIMENSION,
                        "embedding has "
                                + embedding.size()
                                + " dimensions, the model bundle expects "
                                + embeddingDimension);
            }
            float[] vector = new float[embedding.size()];
            for (int i = 0; i < vector.length; i++) {
                float v = embedding.get(i);
                if (!Float.isFinite(v)) {
                    return new Invalid(
                            RejectReason.NON_FINITE_EMBEDDING,
                            "embedding[" + i + "] is " + v + "; all values must be finite");
                }
                vector[i] = v;
            }
            return new Valid(ItemContent.ofVector(vector));
        }
        if (event.getTitle() == null || event.getTitle().isBlank()) {
            return new Invalid(RejectReason.NO_CONTENT, "no title and no embedding");
        }
        String text =
                ItemText.compose(
                        event.getTitle(),
                        event.getDescription(),
                        event.getCategories(),
                        event.getBrand());
        if (text.length() > maxTextChars) {
            return new Invalid(
                    RejectReason.TEXT_TOO_LONG,
                    "item text has " + text.length() + " characters, the limit is " + maxTextChars);
        }
        return new Valid(ItemContent.ofText(text));
    }
}
