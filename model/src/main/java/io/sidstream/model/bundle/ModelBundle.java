package io.sidstream.model.bundle;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A verified model bundle on disk: a directory holding {@code manifest.json}, the ONNX graphs of
 * the RQ-VAE encoder and the SID decoder, parity vectors and the trainer's item SIDs.
 *
 * <p>{@link #load} checks every file's SHA-256 and size, and that the encoder, decoder, token
 * layout and SID shape agree with each other; it reports every problem at once in a {@link
 * BundleException}. Immutable and thread-safe; holds no native resources (sessions over its files
 * are opened by the modules that run them).
 */
public final class ModelBundle {
    /** The only manifest format this version reads. */
    public static final String FORMAT = "sidstream-bundle/1";

    /** The default bundle's location relative to the repository root. */
    public static final Path DEFAULT_DIRECTORY = Path.of("models", "default");

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path directory;
    private final BundleManifest manifest;

    private ModelBundle(Path directory, BundleManifest manifest) {
        this.directory = directory;
        this.manifest = manifest;
    }

    /**
     * Records {@code prior} in the manifest of the bundle in {@code directory}, replacing any
     * earlier one. Only manifest.json changes, and the bundle's version with no file: the prior is
     * how to serve the decoder, not part of it. The file keeps the trainer's layout (two-space
     * indent, one array element per line), so the change is a small diff.
     */
    public static void writePrior(Path directory, BundleManifest.Prior prior) {
        Path manifestFile = directory.resolve("manifest.json");
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(manifestFile.toFile());
            root.set("prior", JSON.valueToTree(prior));
            DefaultPrettyPrinter printer =
                    new DefaultPrettyPrinter()
                            .withSeparators(
                                    Separators.createDefaultInstance()
                                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
            DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
            printer.indentObjectsWith(indenter);
            printer.indentArraysWith(indenter);
            Path tmp = manifestFile.resolveSibling("manifest.json.tmp");
            Files.writeString(tmp, JSON.writer(printer).writeValueAsString(root) + "\n");
            Files.move(
                    tmp,
                    manifestFile,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + manifestFile, e);
        }
    }

    /** Reads and verifies the bundle in {@code directory}. */
    public static ModelBundle load(Path directory) {
        Path manifestFile = directory.resolve("manifest.json");
        if (!Files.isRegularFile(manifestFile)) {
            throw new BundleException(directory, List.of("no manifest.json in " + directory));
        }
        BundleManifest manifest;
        try {
            manifest = JSON.readValue(manifestFile.toFile(), BundleManifest.class);
        } catch (IOException e) {
            throw new BundleException(
                    directory, List.of("manifest.json is not valid: " + e.getMessage()));
        }
        List<String> problems = new ArrayList<>();
        checkStructure(manifest, problems);
        if (problems.isEmpty()) {
            checkConsistency(manifest, problems);
            checkFiles(directory, manifest, problems);
        }
        if (!problems.isEmpty()) {
            throw new BundleException(directory, problems);
        }
        return new ModelBundle(directory, manifest);
    }

    /** The bundle's directory. */
    public Path directory() {
        return directory;
    }

    /** The parsed manifest. */
    public BundleManifest manifest() {
        return manifest;
    }

    /** The bundle version recorded on recommendations: which decoder produced them. */
    public String version() {
        return manifest.bundleVersion();
    }

    /**
     * The SID space this bundle's SIDs belong to, recorded on every SID it assigns: its own
     * version, or for a decoder-only update the version of the bundle whose encoder and item SIDs
     * it reuses. A retrieval index and ingest's SID index each hold one SID space, so a
     * decoder-only update serves the SIDs already published without any item being tokenized again.
     */
    public String sidSpace() {
        String space = manifest.sidSpace();
        return space == null || space.isBlank() ? version() : space;
    }

    /** Path of a file listed in the manifest. */
    public Path file(String name) {
        if (!manifest.files().containsKey(name)) {
            throw new IllegalArgumentException(
                    name
                            + " is not a file of bundle "
                            + version()
                            + "; files: "
                            + manifest.files().keySet());
        }
        return directory.resolve(name);
    }

    /**
     * The SIDs the trainer assigned to its catalog ({@code itemSidsFile}: {@code item_id<TAB>c1 ...
     * cL collision}), in file order. For evaluation, parity and test fixtures; live SIDs come from
     * ingest-stream.
     */
    public Map<String, List<Integer>> trainerItemSids() {
        Map<String, List<Integer>> sids = new java.util.LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file(manifest.itemSidsFile()))) {
                String[] parts = line.split("\t");
                sids.put(
                        parts[0],
                        java.util.Arrays.stream(parts[1].split(" "))
                                .map(Integer::valueOf)
                                .toList());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(
                    "cannot read " + manifest.itemSidsFile() + " of " + this, e);
        }
        return sids;
    }

    private static void checkStructure(BundleManifest m, List<String> problems) {
        if (!FORMAT.equals(m.format())) {
            problems.add("format is '" + m.format() + "', this version reads '" + FORMAT + "'");
        }
        require(m.bundleVersion(), "bundleVersion", problems);
        require(m.embedding(), "embedding", problems);
        require(m.sid(), "sid", problems);
        require(m.tokens(), "tokens", problems);
        require(m.encoder(), "encoder", problems);
        require(m.decoder(), "decoder", problems);
        require(m.files(), "files", problems);
        if (m.tokens() != null) {
            require(m.tokens().levelOffsets(), "tokens.levelOffsets", problems);
        }
    }

    private static void checkConsistency(BundleManifest m, List<String> problems) {
        int levels = m.sid().levels();
        int k = m.sid().codebookSize();
        if (levels < 1 || k < 2) {
            problems.add("sid needs levels >= 1 and codebookSize >= 2, got " + m.sid());
        }
        agree("encoder.levels", m.encoder().levels(), "sid.levels", levels, problems);
        agree("decoder.levels", m.decoder().levels(), "sid.levels", levels, problems);
        agree("encoder.codebookSize", m.encoder().codebookSize(), "sid.codebookSize", k, problems);
        agree("decoder.codebookSize", m.decoder().codebookSize(), "sid.codebookSize", k, problems);
        agree(
                "encoder.embeddingDim",
                m.encoder().embeddingDim(),
                "embedding.dim",
                m.embedding().dim(),
                problems);
        BundleManifest.Tokens t = m.tokens();
        agree(
                "decoder.vocabSize",
                m.decoder().vocabSize(),
                "tokens.vocabSize",
                t.vocabSize(),
                problems);
        agree("tokens.levelOffsets size", t.levelOffsets().size(), "sid.levels", levels, problems);
        agree("tokens.tokensPerItem", t.tokensPerItem(), "sid.levels + 1", levels + 1, problems);
        agree(
                "tokens.collisionCodes",
                t.collisionCodes(),
                "sid.collisionCodes",
                m.sid().collisionCodes(),
                problems);
        // Code ranges of levels, collision codes and specials must tile the vocabulary exactly.
        int next = Math.max(t.pad(), t.bos()) + 1;
        for (int l = 0; l < t.levelOffsets().size(); l++) {
            agree(
                    "tokens.levelOffsets[" + l + "]",
                    t.levelOffsets().get(l),
                    "expected",
                    next,
                    problems);
            next += k;
        }
        agree("tokens.collisionOffset", t.collisionOffset(), "expected", next, problems);
        agree("tokens.vocabSize", t.vocabSize(), "expected", next + t.collisionCodes(), problems);
        if (m.decoder().heads() * m.decoder().headDim() != m.decoder().dModel()) {
            problems.add("decoder.heads * decoder.headDim != decoder.dModel: " + m.decoder());
        }
        List<String> used =
                new ArrayList<>(
                        List.of(
                                m.encoder().file(),
                                m.decoder().encodeHistoryFile(),
                                m.decoder().decodeStepFile()));
        if ((m.decoder().decodeStartFile() == null) != (m.decoder().decodeNextFile() == null)) {
            problems.add("decoder.decodeStartFile and decoder.decodeNextFile come together");
        } else if (m.decoder().hasBeamCache()) {
            used.add(m.decoder().decodeStartFile());
            used.add(m.decoder().decodeNextFile());
        }
        if (m.decoder().hasSearchGraph()) {
            if (!m.decoder().hasBeamCache()) {
                problems.add(
                        "decoder.searchFile needs contract v2 (decodeStartFile, decodeNextFile)");
            }
            used.add(m.decoder().searchFile());
        }
        for (String listed : used) {
            if (!m.files().containsKey(listed)) {
                problems.add(listed + " is used but not listed (with its checksum) in files");
            }
        }
        if (m.rankerTokenizers() != null) {
            BundleManifest.RankerTokenizers r = m.rankerTokenizers();
            if (r.tokensFile() == null || r.tokenizers() == null || r.tokenizers().isEmpty()) {
                problems.add("rankerTokenizers needs tokensFile and at least one tokenizer");
                return;
            }
            List<String> files = new ArrayList<>(List.of(r.tokensFile()));
            for (BundleManifest.RankerTokenizer tokenizer : r.tokenizers()) {
                if (tokenizer.name() == null
                        || tokenizer.file() == null
                        || tokenizer.type() == null) {
                    problems.add("every ranker tokenizer needs name, type and file: " + tokenizer);
                    return;
                }
                if (!List.of("unigram", "bpe").contains(tokenizer.type())) {
                    problems.add(
                            "ranker tokenizer "
                                    + tokenizer.name()
                                    + " has type "
                                    + tokenizer.type()
                                    + ", not unigram or bpe");
                }
                files.add(tokenizer.file());
            }
            for (String listed : files) {
                if (!m.files().containsKey(listed)) {
                    problems.add(listed + " is used but not listed (with its checksum) in files");
                }
            }
            if (r.codesPerLevel() < Math.max(m.sid().codebookSize(), m.sid().collisionCodes())) {
                problems.add(
                        "rankerTokenizers.codesPerLevel "
                                + r.codesPerLevel()
                                + " is smaller than the codebook or the collision codes");
            }
        }
    }

    private static void checkFiles(Path dir, BundleManifest m, List<String> problems) {
        for (Map.Entry<String, BundleManifest.FileEntry> e : m.files().entrySet()) {
            Path file = dir.resolve(e.getKey()).normalize();
            if (!file.startsWith(dir.normalize())) {
                problems.add(e.getKey() + " points outside the bundle");
                continue;
            }
            if (!Files.isRegularFile(file)) {
                problems.add(e.getKey() + " is listed but missing");
                continue;
            }
            try {
                long size = Files.size(file);
                if (size != e.getValue().bytes()) {
                    problems.add(
                            e.getKey()
                                    + " has "
                                    + size
                                    + " bytes, manifest says "
                                    + e.getValue().bytes());
                    continue;
                }
                String actual = sha256(file);
                if (!actual.equalsIgnoreCase(e.getValue().sha256())) {
                    problems.add(
                            e.getKey()
                                    + " has sha256 "
                                    + actual
                                    + ", manifest says "
                                    + e.getValue().sha256());
                }
            } catch (IOException ex) {
                problems.add(e.getKey() + " cannot be read: " + ex.getMessage());
            }
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void require(Object value, String name, List<String> problems) {
        if (value == null) {
            problems.add("manifest lacks " + name);
        }
    }

    private static void agree(String a, int va, String b, int vb, List<String> problems) {
        if (va != vb) {
            problems.add(a + " = " + va + " but " + b + " = " + vb);
        }
    }

    @Override
    public String toString() {
        return "ModelBundle[" + version() + " at " + directory + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelBundle b
                && b.directory.equals(directory)
                && Objects.equals(b.version(), version());
    }

    @Override
    public int hashCode() {
        return Objects.hash(directory, version());
    }
}
