package io.sidstream.model.bundle;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of a model bundle, as specified in {@code training/CONTRACT.md}.
 * Validation of its consistency lives in {@link ModelBundle#load}.
 *
 * @param format bundle format id, {@value ModelBundle#FORMAT}
 * @param bundleVersion opaque version; recorded on every SID and recommendation it produced
 * @param createdAt ISO-8601 creation time
 * @param embedding the content embedding the RQ-VAE was trained on
 * @param sid shape of the Semantic IDs
 * @param tokens how SID codes map to decoder tokens
 * @param encoder the RQ-VAE encoder graph
 * @param decoder the two decoder graphs
 * @param parityFile file with parity vectors (inputs + expected outputs)
 * @param itemSidsFile file with the SIDs the trainer assigned to its catalog
 * @param files every file of the bundle with its SHA-256 and size
 * @param metrics training and evaluation figures (free-form JSON)
 * @param rankerTokenizers SID tokenizers for rankers, or {@code null} when the bundle has none
 * @param sidSpace for a decoder-only update, the SID space (the version of the bundle whose RQ-VAE
 *     encoder and item SIDs it reuses unchanged); {@code null} when the bundle defines its own
 * @param prior the live popularity prior's settings chosen for this bundle's decoder on the
 *     validation split ({@code sidstream eval --tune --save}), or {@code null} when never chosen
 */
public record BundleManifest(
        String format,
        String bundleVersion,
        String createdAt,
        Embedding embedding,
        Sid sid,
        Tokens tokens,
        Encoder encoder,
        Decoder decoder,
        String parityFile,
        String itemSidsFile,
        Map<String, FileEntry> files,
        JsonNode metrics,
        RankerTokenizers rankerTokenizers,
        String sidSpace,
        Prior prior) {

    /**
     * SentencePiece models trained on the catalog's SIDs spelled as code points {@code
     * codepointBase + level * codesPerLevel + code}, and their expected output on every catalog
     * item ({@code tokensFile}: {@code item<TAB>tokenizer<TAB>ids}).
     *
     * @param coldStartBoundaryMillis items first seen from then on were left out of the corpus
     */
    public record RankerTokenizers(
            int codepointBase,
            int codesPerLevel,
            String tokensFile,
            long coldStartBoundaryMillis,
            List<RankerTokenizer> tokenizers) {}

    /** One tokenizer: {@code type} unigram or bpe, its {@code .model} file and vocabulary. */
    public record RankerTokenizer(
            String name, String type, String file, int vocabSize, int corpusItems) {}

    /** The embedding model the bundle expects; a different one is a fatal mismatch. */
    public record Embedding(String modelId, int dim, boolean normalized, String text) {}

    /** L semantic levels of K codes each, plus a collision level of {@code collisionCodes}. */
    public record Sid(int levels, int codebookSize, int collisionCodes) {}

    /** The decoder's level-offset token vocabulary. */
    public record Tokens(
            int pad,
            int bos,
            List<Integer> levelOffsets,
            int collisionOffset,
            int collisionCodes,
            int vocabSize,
            int tokensPerItem) {}

    /** The RQ-VAE encoder graph and the shapes it must have. */
    public record Encoder(
            String file, int embeddingDim, int latentDim, int levels, int codebookSize) {}

    /** The encode-history and decode-step graphs and the shapes they must have. */
    public record Decoder(
            String encodeHistoryFile,
            String decodeStepFile,
            int levels,
            int codebookSize,
            int vocabSize,
            int layers,
            int heads,
            int headDim,
            int dModel,
            int maxHistoryItems,
            String decodeStartFile,
            String decodeNextFile,
            String searchFile) {

        /**
         * Whether the bundle also ships contract v2's beam-token cache graphs ({@code
         * decode_start}, {@code decode_next}); v1 bundles have only {@code decode_step}.
         */
        public boolean hasBeamCache() {
            return decodeStartFile != null && decodeNextFile != null;
        }

        /**
         * Whether the bundle ships the whole constrained beam search as one graph ({@code
         * decoder_search.onnx}, composed from the v2 graphs by {@code training/search_graph.py}).
         */
        public boolean hasSearchGraph() {
            return searchFile != null;
        }
    }

    /**
     * How retrieval folds the live popularity prior into this decoder's beam scores, as chosen on
     * the validation split: serving and {@code sidstream eval} use it unless the operator sets the
     * {@code SIDSTREAM_PRIOR_*} keys.
     *
     * @param weight weight of {@code log P(code | prefix)} in the beam score
     * @param halfLifeHours after this long an interaction counts half
     * @param pseudoCount smoothing, in events of the query time, per code and item
     * @param chosenOn how the settings were chosen (split, cases, candidates)
     */
    public record Prior(double weight, int halfLifeHours, double pseudoCount, String chosenOn) {}

    /** Checksum and size of one bundle file. */
    public record FileEntry(String sha256, long bytes) {}
}
