package io.sidstream.sid;

import java.util.Arrays;
import java.util.Objects;

/**
 * What an item's SID is computed from: either its text (to be embedded) or a precomputed content
 * embedding. Immutable; the vector is copied in and out.
 */
public final class ItemContent {
    private final String text;
    private final float[] vector;

    private ItemContent(String text, float[] vector) {
        this.text = text;
        this.vector = vector;
    }

    /** Content given as text, embedded by the bundle's sentence encoder. */
    public static ItemContent ofText(String text) {
        return new ItemContent(Objects.requireNonNull(text, "text"), null);
    }

    /** Content given as a precomputed embedding of the bundle's dimension. */
    public static ItemContent ofVector(float[] vector) {
        return new ItemContent(null, vector.clone());
    }

    /** Whether this content is a precomputed vector. */
    public boolean isVector() {
        return vector != null;
    }

    /** The text; only when {@link #isVector()} is false. */
    public String text() {
        if (text == null) {
            throw new IllegalStateException("content is a vector");
        }
        return text;
    }

    /** A copy of the vector; only when {@link #isVector()} is true. */
    public float[] vector() {
        if (vector == null) {
            throw new IllegalStateException("content is text");
        }
        return vector.clone();
    }

    float[] vectorNoCopy() {
        return vector;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ItemContent c
                && Objects.equals(c.text, text)
                && Arrays.equals(c.vector, vector);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(text) + Arrays.hashCode(vector);
    }

    @Override
    public String toString() {
        return vector != null
                ? "ItemContent[vector dim=" + vector.length + "]"
                : "ItemContent[text=" + text + "]";
    }
}
