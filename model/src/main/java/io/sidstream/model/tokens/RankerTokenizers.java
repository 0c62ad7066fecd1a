package io.sidstream.model.tokens;

import io.sidstream.model.bundle.BundleManifest;
import io.sidstream.model.bundle.ModelBundle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The ranker tokenizers of a bundle, loaded from its SentencePiece models. */
public final class RankerTokenizers {
    private RankerTokenizers() {}

    /** Every tokenizer the bundle ships, in manifest order; empty when it ships none. */
    public static List<SidTokenizer> of(ModelBundle bundle) {
        BundleManifest.RankerTokenizers spec = bundle.manifest().rankerTokenizers();
        if (spec == null) {
            return List.of();
        }
        List<SidTokenizer> out = new ArrayList<>();
        for (BundleManifest.RankerTokenizer t : spec.tokenizers()) {
            SentencePieceModel model;
            try {
                model = SentencePieceModel.parse(Files.readAllBytes(bundle.file(t.file())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + t.file(), e);
            }
            SentencePieceModel.Kind declared =
                    t.type().equals("bpe")
                            ? SentencePieceModel.Kind.BPE
                            : SentencePieceModel.Kind.UNIGRAM;
            if (model.kind() != declared) {
                throw new IllegalArgumentException(
                        t.file()
                                + " is a "
                                + model.kind()
                                + " model; the manifest says "
                                + t.type());
            }
            out.add(
                    new SentencePieceSidTokenizer(
                            t.name(), model, spec.codepointBase(), spec.codesPerLevel()));
        }
        return List.copyOf(out);
    }

    /**
     * The trainer's expected tokens ({@code tokensFile}: item, tokenizer, ids, SID codes) against
     * this encoder's, line by line.
     *
     * @param mismatches at most the first 10 differing lines, described
     */
    public record Parity(int lines, List<String> mismatches) {
        public boolean passed() {
            return mismatches.isEmpty();
        }
    }

    /** Checks the bundle's tokenizers against the trainer's tokens of every item it lists. */
    public static Parity check(ModelBundle bundle) {
        return check(bundle, of(bundle));
    }

    /** Checks {@code tokenizers}, loaded from the bundle by {@link #of}, without loading again. */
    public static Parity check(ModelBundle bundle, List<SidTokenizer> tokenizers) {
        BundleManifest.RankerTokenizers spec = bundle.manifest().rankerTokenizers();
        if (spec == null) {
            return new Parity(0, List.of());
        }
        Map<String, SidTokenizer> byName = new LinkedHashMap<>();
        tokenizers.forEach(t -> byName.put(t.name(), t));
        List<String> lines;
        try {
            lines = Files.readAllLines(bundle.file(spec.tokensFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + spec.tokensFile(), e);
        }
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            SidTokenizer t = f.length == 4 ? byName.get(f[1]) : null;
            if (t == null) {
                mismatches.add("malformed line or unknown tokenizer: " + line);
            } else {
                List<Integer> sid = ids(f[3]);
                List<Integer> expected = ids(f[2]);
                List<Integer> actual = tokenize(List.of(t), sid).get(t.name());
                if (!expected.equals(actual)) {
                    mismatches.add(
                            f[1]
                                    + " "
                                    + f[0]
                                    + " "
                                    + sid
                                    + ": trainer "
                                    + expected
                                    + ", Java "
                                    + actual);
                }
            }
            checked++;
            if (mismatches.size() >= 10) {
                break;
            }
        }
        for (String name : byName.keySet()) {
            if (lines.stream()
                    .noneMatch(
                            l ->
                                    l.split("\\t", -1).length > 1
                                            && l.split("\\t", -1)[1].equals(name))) {
                mismatches.add(
                        "no expected tokens of tokenizer " + name + " in " + spec.tokensFile());
            }
        }
        return new Parity(checked, List.copyOf(mismatches));
    }

    private static List<Integer> ids(String field) {
        List<Integer> out = new ArrayList<>();
        for (String s : field.trim().split(" ")) {
            if (!s.isEmpty()) {
                out.add(Integer.valueOf(s));
            }
        }
        return out;
    }

    /** Tokenizer name -> tokens of {@code sid}, for every tokenizer. */
    public static Map<String, List<Integer>> tokenize(
            List<SidTokenizer> tokenizers, List<Integer> sid) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (SidTokenizer t : tokenizers) {
            List<Integer> ids = new ArrayList<>();
            for (int id : t.tokenize(sid)) {
                ids.add(id);
            }
            out.put(t.name(), List.copyOf(ids));
        }
        return out;
    }
}
