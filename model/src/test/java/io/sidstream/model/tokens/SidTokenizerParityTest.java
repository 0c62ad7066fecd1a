package io.sidstream.model.tokens;

import io.sidstream.model.bundle.ModelBundle;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Java SentencePiece encoders reproduce the trainer's tokens (python3-sentencepiece, written to
 * the bundle's ranker_tokens.tsv) for every item of the default bundle's catalog, with both
 * tokenizers.
 */
class SidTokenizerParityTest {
    static final Path BUNDLE = Path.of("..", "models", "default");

    @Test
    void javaTokensEqualTheTrainersForEveryCatalogItemAndTokenizer() throws IOException {
        ModelBundle bundle = ModelBundle.load(BUNDLE);
        List<SidTokenizer> tokenizers = RankerTokenizers.of(bundle);
        assertThat(tokenizers).extracting(SidTokenizer::name).contains("sp_unigram", "sp_bpe");
        Map<String, SidTokenizer> byName = new HashMap<>();
        tokenizers.forEach(t -> byName.put(t.name(), t));
        Map<String, List<Integer>> sids = bundle.trainerItemSids();
        Path expectedFile = bundle.file(bundle.manifest().rankerTokenizers().tokensFile());
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        int withUnknown = 0;
        for (String line : Files.readAllLines(expectedFile)) {
            String[] f = line.split("\t");
            int[] expected =
                    f.length < 3 || f[2].isBlank()
                            ? new int[0]
                            : Arrays.stream(f[2].split(" ")).mapToInt(Integer::parseInt).toArray();
            SidTokenizer t = byName.get(f[1]);
            List<Integer> sid = Arrays.stream(f[3].split(" ")).map(Integer::valueOf).toList();
            if (!f[0].startsWith("~probe")) {
                assertThat(sid).as("SID of %s", f[0]).isEqualTo(sids.get(f[0]));
            }
            int[] actual = t.tokenize(sid);
            if (!Arrays.equals(expected, actual)) {
                mismatches.add(
                        f[1]
                                + " "
                                + f[0]
                                + " "
                                + sids.get(f[0])
                                + ": trainer "
                                + Arrays.toString(expected)
                                + ", Java "
                                + Arrays.toString(actual));
            }
            if (f[0].startsWith("~probe")
                    && Arrays.stream(expected).anyMatch(id -> id == t.unknownId())) {
                withUnknown++;
            }
            checked++;
        }
        assertThat(checked).isEqualTo((sids.size() + 3) * tokenizers.size());
        assertThat(mismatches).as("first mismatches").isEmpty();
        // Probe SIDs carry collision codes no corpus item has: the unknown path agrees too.
        assertThat(withUnknown).isEqualTo(3 * tokenizers.size());
        // What `sidstream bundle verify` runs agrees.
        RankerTokenizers.Parity parity = RankerTokenizers.check(bundle);
        assertThat(parity.lines()).isEqualTo(checked);
        assertThat(parity.passed()).isTrue();
    }

    @Test
    void ngramBaselinesCoverEveryCodeWithFixedVocabularies() {
        NgramSidTokenizer unigram = new NgramSidTokenizer(1, 4, 256);
        NgramSidTokenizer bigram = new NgramSidTokenizer(2, 4, 256);
        assertThat(unigram.tokenize(List.of(3, 0, 255, 1))).containsExactly(3, 256, 767, 769);
        assertThat(unigram.vocabSize()).isEqualTo(1024);
        assertThat(bigram.tokenize(List.of(3, 0, 255, 1)))
                .containsExactly(3 * 256, (256 + 0) * 256 + 255, (512 + 255) * 256 + 1);
        assertThat(bigram.vocabSize()).isEqualTo(3 * 256 * 256);
        assertThat(bigram.tokenize(List.of(255, 255, 255, 255)))
                .containsExactly(
                        bigram.vocabSize() / 3 - 1,
                        2 * bigram.vocabSize() / 3 - 1,
                        bigram.vocabSize() - 1);
    }
}
