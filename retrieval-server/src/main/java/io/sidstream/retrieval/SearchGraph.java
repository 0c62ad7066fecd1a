package io.sidstream.retrieval;

import java.util.Locale;

/** When retrieval-server answers with a bundle's one-graph search ({@code decoder_search.onnx}). */
public enum SearchGraph {
    /** When the decoder runs on CUDA and the bundle has the graph. */
    AUTO,
    /** Always; a bundle without the graph is refused. */
    ON,
    /** Never: level by level. */
    OFF;

    public static SearchGraph parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected auto, on or off, got '" + value + "'");
        }
    }

    /**
     * Whether a decoder of a bundle that has ({@code bundleHasGraph}) or lacks a search graph,
     * running on {@code decoderProvider} ("cuda" or "cpu"), answers with it.
     *
     * @throws IllegalArgumentException when the graph is required and the bundle has none
     */
    public boolean uses(boolean bundleHasGraph, String decoderProvider) {
        return switch (this) {
            case OFF -> false;
            case AUTO -> bundleHasGraph && decoderProvider.equals("cuda");
            case ON -> {
                if (!bundleHasGraph) {
                    throw new IllegalArgumentException(
                            "SIDSTREAM_RETRIEVAL_SEARCH_GRAPH=on, but the bundle has no"
                                    + " decoder.searchFile (add one with training/search_graph.py)");
                }
                yield true;
            }
        };
    }
}
