package io.sidstream.ingest.processor;

import io.sidstream.sid.ItemContent;
import io.sidstream.sid.SemanticEncoder;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link SemanticEncoder} with a chosen prefix layout: an item whose text holds {@code #n} gets
 * the prefix {@code [n, 1, 2]}; text holding a word of {@link #failOn} makes the model fail.
 */
final class FakeEncoder implements SemanticEncoder {
    private static final Pattern VARIANT = Pattern.compile("#(\\d+)");

    final Set<String> failOn = new HashSet<>();
    private final int collisionCodes;

    FakeEncoder(int collisionCodes) {
        this.collisionCodes = collisionCodes;
    }

    static List<Integer> prefixOf(int variant) {
        return List.of(variant, 1, 2);
    }

    @Override
    public String modelVersion() {
        return "fake-1";
    }

    @Override
    public int levels() {
        return 3;
    }

    @Override
    public int codebookSize() {
        return 16;
    }

    @Override
    public int collisionCodes() {
        return collisionCodes;
    }

    @Override
    public int embeddingDimension() {
        return 8;
    }

    @Override
    public int[][] semanticCodes(List<ItemContent> items) {
        int[][] codes = new int[items.size()][];
        for (int i = 0; i < items.size(); i++) {
            String text = items.get(i).isVector() ? "#0" : items.get(i).text();
            for (String bad : failOn) {
                if (text.contains(bad)) {
                    throw new IllegalArgumentException("fake model fails on '" + bad + "'");
                }
            }
            Matcher m = VARIANT.matcher(text);
            int variant = m.find() ? Integer.parseInt(m.group(1)) : 0;
            codes[i] = prefixOf(variant).stream().mapToInt(Integer::intValue).toArray();
        }
        return codes;
    }

    @Override
    public void close() {}
}
