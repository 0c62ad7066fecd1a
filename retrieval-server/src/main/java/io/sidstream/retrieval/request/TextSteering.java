package io.sidstream.retrieval.request;

/**
 * Maps a sentence to semantic codes the way items get theirs: the bundle's sentence encoder, then
 * its RQ-VAE. Implementations are thread-safe.
 */
public interface TextSteering {
    /** The L semantic codes of {@code sentence}. */
    int[] codes(String sentence);

    /** No sentence encoder on this server: every query is refused with a clear reason. */
    TextSteering OFF =
            sentence -> {
                throw new InvalidRequestException(
                        "this server does not take text queries (SIDSTREAM_RETRIEVAL_TEXT_QUERIES"
                                + "=false)");
            };
}
