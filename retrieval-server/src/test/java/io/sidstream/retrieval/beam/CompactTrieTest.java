package io.sidstream.retrieval.beam;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class CompactTrieTest {

    @Test
    void shouldNumberLivePrefixesBreadthFirstWithConsecutiveChildrenAndTheirCodeBits() {
        SidTrie trie = new SidTrie(2, 10);
        trie.put("a", new int[] {3, 9, 0});
        trie.put("b", new int[] {3, 1, 0});
        trie.put("c", new int[] {7, 0, 0});
        trie.put("d", new int[] {3, 1, 1});
        CompactTrie compact = CompactTrie.of(trie);

        // root, [3], [7], [3,1], [3,9], [7,0]
        assertThat(compact.nodes()).isEqualTo(6);
        assertThat(compact.innerNodes()).isEqualTo(3);
        assertThat(compact.firstChild()).containsExactly(1, 3, 5);
        byte[] bits = compact.bits();
        int bytes = 2; // ceil(10 / 8)
        assertThat(bits).hasSize(3 * bytes);
        assertThat(bits[0] & 0xff).isEqualTo((1 << 3) | (1 << 7));
        assertThat(bits[1] & 0xff).isZero();
        assertThat(bits[bytes] & 0xff).isEqualTo(1 << 1); // [3] -> code 1 ...
        assertThat(bits[bytes + 1] & 0xff).isEqualTo(1 << (9 - 8)); // ... and code 9
        assertThat(bits[2 * bytes] & 0xff).isEqualTo(1); // [7] -> code 0
        assertThat(compact.version()).isEqualTo(trie.version());
    }

    @Test
    void shouldGiveEveryNodeThePriorsWeightedLogProbabilityOfItsCodeGivenItsParent() {
        SidTrie trie = new SidTrie(2, 10);
        trie.put("a", new int[] {3, 9, 0});
        trie.put("b", new int[] {3, 1, 0});
        trie.put("c", new int[] {7, 0, 0});
        PopularityPrior prior = new PopularityPrior(2, 10, Duration.ofHours(1), 0.1);
        prior.observe("a", new int[] {3, 9}, 1_000);
        prior.observe("a", new int[] {3, 9}, 2_000);
        prior.observe("c", new int[] {7, 0}, 3_000);
        double unit = prior.unitNow();
        float[] bias = CompactTrie.of(trie).nodeBias(prior, 2.0, unit);

        PopularityPrior.Row row = prior.row();
        row.at(new int[0], 0, unit);
        assertThat(bias[0]).isZero();
        assertThat(bias[1]).isCloseTo((float) (2 * row.log(3)), within());
        assertThat(bias[2]).isCloseTo((float) (2 * row.log(7)), within());
        row.at(new int[] {3}, 1, unit);
        assertThat(bias[3]).isCloseTo((float) (2 * row.log(1)), within());
        assertThat(bias[4]).isCloseTo((float) (2 * row.log(9)), within());
        row.at(new int[] {7}, 1, unit);
        assertThat(bias[5]).isCloseTo((float) (2 * row.log(0)), within());
        assertThat(bias[4]).isGreaterThan(bias[3]);
        assertThat(CompactTrie.of(trie).nodeBias(null, 2.0, unit)).containsOnly(0f);
    }

    private static org.assertj.core.data.Offset<Float> within() {
        return org.assertj.core.data.Offset.offset(1e-6f);
    }
}
