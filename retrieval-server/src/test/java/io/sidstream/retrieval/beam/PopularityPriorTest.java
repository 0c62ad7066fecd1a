package io.sidstream.retrieval.beam;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The decayed counts, their chain rule, and the prior inside the beam search. */
class PopularityPriorTest {
    static final long HOUR = Duration.ofHours(1).toMillis();
    static final long T0 = Instant.parse("2013-06-01T00:00:00Z").toEpochMilli();

    static PopularityPrior prior() {
        return new PopularityPrior(3, BeamSearchTest.K, Duration.ofHours(1), 1e-9);
    }

    @Test
    void shouldGiveARowOfSeenAndUnseenCodesATotalOfOneAtAnyTime() {
        // A large pseudo-count, so the unseen codes carry a visible share.
        PopularityPrior prior = new PopularityPrior(3, BeamSearchTest.K, Duration.ofHours(1), 0.5);
        prior.observe("a", new int[] {1, 2, 3, 0}, T0);
        prior.observe("b", new int[] {4, 5, 6, 0}, T0 + HOUR);
        prior.observe("c", new int[] {4, 7, 6, 0}, T0 + HOUR);
        PopularityPrior.Row row = prior.row();
        for (long at : new long[] {T0 + HOUR, T0 + 3 * HOUR}) {
            for (int[] prefix : List.of(new int[0], new int[] {4}, new int[] {9})) {
                row.at(prefix, prefix.length, prior.unitAt(at));
                double total = 0;
                for (int c = 0; c < BeamSearchTest.K; c++) {
                    total += Math.exp(row.log(c));
                }
                assertThat(total).isCloseTo(1.0, within(1e-9));
            }
        }
        // An unseen code after a seen one, and again after the row moved: one shared value.
        row.at(new int[] {4}, 1, prior.unitAt(T0 + HOUR));
        double unseen = row.log(0);
        assertThat(row.log(5)).isGreaterThan(unseen);
        row.at(new int[0], 0, prior.unitAt(T0 + HOUR));
        assertThat(row.log(0)).isNotEqualTo(unseen);
    }

    @Test
    void shouldCountAnEventOneHalfLifeOldAsHalfANewOne() {
        PopularityPrior prior = prior();
        prior.observe("old", new int[] {1, 2, 3, 0}, T0);
        prior.observe("new", new int[] {4, 5, 6, 0}, T0 + HOUR);
        double unit = prior.unitAt(T0 + HOUR);
        PopularityPrior.Row level0 = prior.row().at(new int[0], 0, unit);
        assertThat(Math.exp(level0.log(1))).isCloseTo(1.0 / 3, within(1e-6));
        assertThat(Math.exp(level0.log(4))).isCloseTo(2.0 / 3, within(1e-6));
        assertThat(prior.count("old", T0 + 2 * HOUR)).isCloseTo(0.25, within(1e-9));
        // Seen later, the two have both aged: the ratio stays.
        level0.at(new int[0], 0, prior.unitAt(T0 + 5 * HOUR));
        assertThat(Math.exp(level0.log(4) - level0.log(1))).isCloseTo(2.0, within(1e-6));
    }

    @Test
    void shouldMultiplyAlongTheLevelsToTheItemsShareOfAllEvents() {
        PopularityPrior prior = prior();
        int[][] sids = {{1, 2, 3, 0}, {1, 2, 3, 1}, {1, 7, 3, 0}, {9, 2, 3, 0}};
        int[] events = {5, 3, 2, 10};
        for (int i = 0; i < sids.length; i++) {
            for (int e = 0; e < events[i]; e++) {
                prior.observe("item" + i, sids[i], T0 + e * HOUR / 10);
            }
        }
        long now = T0 + HOUR;
        double unit = prior.unitAt(now);
        double total = 0;
        for (int i = 0; i < sids.length; i++) {
            total += prior.count("item" + i, now);
        }
        PopularityPrior.Row row = prior.row();
        int[] sid = sids[0];
        double log = 0;
        for (int depth = 0; depth < 3; depth++) {
            log += row.at(sid, depth, unit).log(sid[depth]);
        }
        log += prior.logItem("item0", sid, 2, unit);
        assertThat(Math.exp(log)).isCloseTo(prior.count("item0", now) / total, within(1e-6));
    }

    @Test
    void shouldKeepItsRatiosAcrossARebaseYearsLater() {
        PopularityPrior prior = prior();
        prior.observe("a", new int[] {1, 1, 1, 0}, T0);
        long later = T0 + 300 * HOUR; // past the rebase point of 200 half-lives
        prior.observe("a", new int[] {1, 1, 1, 0}, later);
        prior.observe("b", new int[] {2, 1, 1, 0}, later);
        PopularityPrior.Row row = prior.row().at(new int[0], 0, prior.unitAt(later));
        assertThat(row.log(1)).isFinite();
        assertThat(Math.exp(row.log(1) - row.log(2))).isCloseTo(1.0, within(1e-6));
    }

    @Test
    void shouldSteerTheSearchTowardWhatIsActiveNowWithoutEverLeavingTheTrie() {
        SidTrie trie = BeamSearchTest.randomTrie(3, 800);
        FakeLogits model = new FakeLogits(BeamSearchTest.LAYOUT, BeamSearchTest.K);
        BeamSearch plain = new BeamSearch(model, BeamSearchTest.LAYOUT, 50);
        BeamRequest request = BeamRequest.of(BeamSearchTest.history(3, 4), 16, 10);
        List<BeamResult.Candidate> before =
                plain.search(List.of(request), trie).get(0).candidates();
        // A hot item the decoder ranks low: many recent interactions.
        String hot = "i777";
        assertThat(before).extracting(BeamResult.Candidate::itemId).doesNotContain(hot);
        PopularityPrior prior = prior();
        for (int i = 0; i < 500; i++) {
            prior.observe(hot, trie.sidOf(hot), T0 + i);
            String other = "i" + (i % 700);
            prior.observe(other, trie.sidOf(other), T0 - 50 * HOUR);
        }
        BeamSearch withPrior = plain.withPrior(prior, 1.0);
        List<BeamResult.Candidate> after =
                withPrior.search(List.of(request), trie).get(0).candidates();
        assertThat(after.get(0).itemId()).isEqualTo(hot);
        assertThat(after).allSatisfy(c -> assertThat(trie.sidOf(c.itemId())).isNotNull());
        assertThat(after)
                .allSatisfy(
                        c ->
                                assertThat(c.sid())
                                        .containsExactly(
                                                java.util.Arrays.stream(trie.sidOf(c.itemId()))
                                                        .boxed()
                                                        .toArray(Integer[]::new)));
        // Exclusions still hold, whatever the prior says.
        BeamRequest seen =
                new BeamRequest(request.history(), 16, 10, Set.of(hot), List.of(), List.of());
        assertThat(withPrior.search(List.of(seen), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain(hot);
        // Steering still holds: asked for another first code, the hot item stays out.
        int[] hotSid = trie.sidOf(hot);
        int[] elsewhere = {(hotSid[0] + 1) % BeamSearchTest.K};
        BeamRequest steered =
                new BeamRequest(request.history(), 16, 10, Set.of(), List.of(elsewhere), List.of());
        assertThat(withPrior.search(List.of(steered), trie).get(0).candidates())
                .isNotEmpty()
                .allSatisfy(c -> assertThat(c.sid().get(0)).isEqualTo(elsewhere[0]));
        // Weight 0 is the plain search.
        assertThat(plain.withPrior(prior, 0).search(List.of(request), trie).get(0).candidates())
                .isEqualTo(before);
    }
}
