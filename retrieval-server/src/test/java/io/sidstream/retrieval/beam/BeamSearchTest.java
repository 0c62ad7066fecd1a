package io.sidstream.retrieval.beam;

import io.sidstream.retrieval.RetrievalConfig;
import io.sidstream.retrieval.RetrievalService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BeamSearchTest {
    static final int K = 16;
    static final TokenLayout LAYOUT = new TokenLayout(0, 1, List.of(2, 18, 34), 50, 16);

    /** n random items; items sharing a prefix get collision codes 0, 1, ... */
    static SidTrie randomTrie(long seed, int n) {
        SidTrie trie = new SidTrie(3, K);
        Random random = new Random(seed);
        Map<List<Integer>, Integer> used = new HashMap<>();
        for (int i = 0; i < n; i++) {
            // Skewed first level so some prefixes are crowded and others empty.
            int[] sid = {
                random.nextInt(K / 2) * (random.nextBoolean() ? 1 : 2) % K,
                random.nextInt(K),
                random.nextInt(K),
                0
            };
            List<Integer> prefix = List.of(sid[0], sid[1], sid[2]);
            sid[3] = used.merge(prefix, 1, Integer::sum) - 1;
            trie.put("i" + i, sid);
        }
        return trie;
    }

    static List<int[]> history(int... itemSeeds) {
        List<int[]> history = new ArrayList<>();
        for (int s : itemSeeds) {
            history.add(new int[] {s % K, (s * 7) % K, (s * 13) % K, 0});
        }
        return history;
    }

    /** Every live item scored exactly, best first: the ground truth beam search approximates. */
    static List<BeamResult.Candidate> exhaustive(
            FakeLogits fake, SidTrie trie, long seed, Set<String> excluded) {
        List<BeamResult.Candidate> all = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            int[] sid = trie.sidOf("i" + i);
            if (sid == null) {
                if (i > 5_000) {
                    break;
                }
                continue;
            }
            if (excluded.contains("i" + i)) {
                continue;
            }
            all.add(
                    new BeamResult.Candidate(
                            "i" + i,
                            List.of(sid[0], sid[1], sid[2], sid[3]),
                            fake.score(seed, sid)));
        }
        all.sort(
                Comparator.comparingDouble(BeamResult.Candidate::score)
                        .reversed()
                        .thenComparing(c -> c.sid().get(0))
                        .thenComparing(c -> c.sid().get(1))
                        .thenComparing(c -> c.sid().get(2))
                        .thenComparing(c -> c.sid().get(3)));
        return all;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 32, 33, 256, 1000})
    void shouldScoreEveryReturnedSidExactlyAndMatchExhaustiveSearchWhenWideEnough(int width) {
        SidTrie trie = randomTrie(42, 600);
        FakeLogits fake = new FakeLogits(LAYOUT, K);
        BeamSearch search = new BeamSearch(fake, LAYOUT, 50);
        BeamRequest request = BeamRequest.of(history(3, 5, 8), width, 50);
        long seed = FakeLogits.historySeed(search.historyTokens(List.of(request))[0]);
        BeamResult result = search.search(List.of(request), trie).get(0);

        Set<String> ids = new HashSet<>();
        double previous = Double.POSITIVE_INFINITY;
        for (BeamResult.Candidate c : result.candidates()) {
            assertThat(ids.add(c.itemId())).as("item %s appears once", c.itemId()).isTrue();
            int[] sid = c.sid().stream().mapToInt(Integer::intValue).toArray();
            assertThat(trie.sidOf(c.itemId()))
                    .as("returned SID is the item's live SID")
                    .isEqualTo(sid);
            assertThat(c.score()).isCloseTo(fake.score(seed, sid), within(1e-6));
            assertThat(c.score()).isLessThanOrEqualTo(previous);
            previous = c.score();
        }
        List<BeamResult.Candidate> truth = exhaustive(fake, trie, seed, Set.of());
        if (width >= 600) {
            // No level has more than 600 live prefixes: nothing is pruned, so beam == exhaustive.
            assertThat(result.candidates())
                    .extracting(BeamResult.Candidate::itemId)
                    .containsExactlyElementsOf(
                            truth.subList(0, 50).stream()
                                    .map(BeamResult.Candidate::itemId)
                                    .toList());
        }
        if (width == 1) {
            // Greedy: the single best allowed code at every level.
            int[] prefix = new int[3];
            boolean[] allowed = new boolean[K];
            for (int l = 0; l < 3; l++) {
                trie.allowedNext(prefix, l, allowed);
                double[] lp = fake.logProbs(seed, prefix, l);
                int best = -1;
                for (int c = 0; c < K; c++) {
                    if (allowed[c] && (best < 0 || (float) lp[c] > (float) lp[best])) {
                        best = c;
                    }
                }
                prefix[l] = best;
            }
            assertThat(result.candidates())
                    .isNotEmpty()
                    .allSatisfy(
                            c ->
                                    assertThat(c.sid().subList(0, 3))
                                            .containsExactly(prefix[0], prefix[1], prefix[2]));
        }
        assertThat(result.indexVersion()).isEqualTo(trie.version());
    }

    @Test
    void shouldBatchRequestsIntoOneModelCallPerLevel() {
        SidTrie trie = randomTrie(1, 300);
        FakeLogits fake = new FakeLogits(LAYOUT, K);
        BeamSearch search = new BeamSearch(fake, LAYOUT, 50);
        List<BeamRequest> requests =
                List.of(
                        BeamRequest.of(history(1), 8, 10),
                        BeamRequest.of(history(2, 3), 64, 10),
                        BeamRequest.of(List.of(), 3, 5));
        List<BeamResult> batched = search.search(requests, trie);
        assertThat(fake.encodeCalls).isEqualTo(1);
        assertThat(fake.stepCalls).isEqualTo(3);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(batched.get(i))
                    .isEqualTo(search.search(List.of(requests.get(i)), trie).get(0));
        }
    }

    @Test
    void shouldSayWhenFewerItemsThanRequestedAreReachable() {
        SidTrie trie = new SidTrie(3, K);
        trie.put("a", new int[] {1, 2, 3, 0});
        trie.put("b", new int[] {1, 2, 3, 1});
        trie.put("c", new int[] {4, 5, 6, 0});
        BeamSearch search = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
        BeamResult result = search.search(List.of(BeamRequest.of(history(1), 16, 10)), trie).get(0);
        assertThat(result.candidates())
                .extracting(BeamResult.Candidate::itemId)
                .containsExactlyInAnyOrder("a", "b", "c");
        assertThat(result.exhausted()).isTrue();
        assertThat(
                        search.search(List.of(BeamRequest.of(history(1), 16, 2)), trie)
                                .get(0)
                                .exhausted())
                .isFalse();
    }

    @Test
    void shouldNeverReturnAnInvalidSidOnRandomTriesWithDeletions() {
        for (long seed = 0; seed < 40; seed++) {
            SidTrie trie = randomTrie(seed, 50 + (int) seed * 10);
            Random random = new Random(seed);
            for (int d = 0; d < 30; d++) {
                trie.remove("i" + random.nextInt(50));
            }
            BeamSearch search = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
            int width = 1 + random.nextInt(64);
            BeamResult result =
                    search.search(List.of(BeamRequest.of(history((int) seed), width, 40)), trie)
                            .get(0);
            for (BeamResult.Candidate c : result.candidates()) {
                assertThat(trie.sidOf(c.itemId()))
                        .isEqualTo(c.sid().stream().mapToInt(Integer::intValue).toArray());
            }
            assertThat(result.candidates()).isNotEmpty();
        }
    }

    /**
     * A soft steer moves results toward the target prefix as its weight grows, adds exactly the
     * weight per matching level to a result's score, and never returns an invalid SID.
     */
    @Test
    void shouldMoveResultsTowardASteeredPrefixInProportionToItsWeight() {
        SidTrie trie = randomTrie(11, 800);
        BeamSearch search = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
        BeamRequest plain = BeamRequest.of(history(4), 64, 20);
        BeamResult open = search.search(List.of(plain), trie).get(0);
        // Steer toward an existing item's SID that the open search ranks low or not at all.
        BeamResult.Candidate last = open.candidates().get(open.candidates().size() - 1);
        int first = (last.sid().get(0) + 3) % K;
        int[] target = null;
        for (int i = 0; i < 800 && target == null; i++) {
            int[] sid = trie.sidOf("i" + i);
            if (sid != null && sid[0] == first) {
                target = new int[] {sid[0], sid[1], sid[2]};
            }
        }
        assertThat(target).isNotNull();
        int[] toward = target;
        long openShare =
                open.candidates().stream().filter(c -> c.sid().get(0) == toward[0]).count();
        double previous = openShare;
        for (double weight : new double[] {1, 4, 50}) {
            BeamResult steered =
                    search.search(List.of(plain.steeredToward(toward, weight)), trie).get(0);
            long share =
                    steered.candidates().stream().filter(c -> c.sid().get(0) == toward[0]).count();
            assertThat((double) share)
                    .as("results under the target at weight %s", weight)
                    .isGreaterThanOrEqualTo(previous);
            previous = share;
            for (BeamResult.Candidate c : steered.candidates()) {
                int[] sid = trie.sidOf(c.itemId());
                assertThat(sid).isNotNull();
                assertThat(c.sid()).containsExactly(sid[0], sid[1], sid[2], sid[3]);
            }
        }
        assertThat(previous)
                .as("a strong steer fills the list from the target prefix")
                .isEqualTo(20);
        BeamResult strong = search.search(List.of(plain.steeredToward(toward, 50)), trie).get(0);
        assertThat(strong.candidates().get(0).sid().subList(0, 3))
                .containsExactly(toward[0], toward[1], toward[2]);
        FakeLogits fake = new FakeLogits(LAYOUT, K);
        long seed = FakeLogits.historySeed(search.historyTokens(List.of(plain))[0]);
        BeamResult.Candidate best = strong.candidates().get(0);
        int[] bestSid = best.sid().stream().mapToInt(Integer::intValue).toArray();
        assertThat(best.score()).isCloseTo(fake.score(seed, bestSid) + 3 * 50, within(1e-4));
    }

    @Test
    void shouldHonourSteeringAndExclusions() {
        SidTrie trie = randomTrie(7, 600);
        BeamSearch search = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
        BeamResult open = search.search(List.of(BeamRequest.of(history(4), 64, 30)), trie).get(0);
        String top = open.candidates().get(0).itemId();
        int topFirst = open.candidates().get(0).sid().get(0);

        BeamResult included =
                search.search(
                                List.of(
                                        new BeamRequest(
                                                history(4),
                                                64,
                                                30,
                                                Set.of(),
                                                List.of(new int[] {5}),
                                                List.of())),
                                trie)
                        .get(0);
        assertThat(included.candidates())
                .isNotEmpty()
                .allSatisfy(c -> assertThat(c.sid().get(0)).isEqualTo(5));

        BeamResult excluded =
                search.search(
                                List.of(
                                        new BeamRequest(
                                                history(4),
                                                64,
                                                30,
                                                Set.of(),
                                                List.of(),
                                                List.of(new int[] {topFirst}))),
                                trie)
                        .get(0);
        assertThat(excluded.candidates())
                .isNotEmpty()
                .noneSatisfy(c -> assertThat(c.sid().get(0)).isEqualTo(topFirst));

        BeamResult unseen =
                search.search(
                                List.of(
                                        new BeamRequest(
                                                history(4),
                                                64,
                                                30,
                                                Set.of(top),
                                                List.of(),
                                                List.of())),
                                trie)
                        .get(0);
        assertThat(unseen.candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain(top)
                .hasSize(30);
    }

    @Test
    void shouldSeeNewItemsAndForgetDelistedOnesWithoutRebuilding() {
        SidTrie trie = new SidTrie(3, K);
        trie.put("a", new int[] {1, 2, 3, 0});
        BeamSearch search = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
        long v0 = trie.version();
        trie.put("fresh", new int[] {9, 9, 9, 0});
        BeamResult result = search.search(List.of(BeamRequest.of(history(1), 8, 10)), trie).get(0);
        assertThat(result.candidates()).extracting(BeamResult.Candidate::itemId).contains("fresh");
        assertThat(result.indexVersion()).isGreaterThan(v0);
        trie.remove("fresh");
        assertThat(
                        search.search(List.of(BeamRequest.of(history(1), 8, 10)), trie)
                                .get(0)
                                .candidates())
                .extracting(BeamResult.Candidate::itemId)
                .containsExactly("a");
    }

    /**
     * A newly listed item that the model scores below everything (its last code is worse than every
     * sibling's) still gets a place, right with the final beam it shares L-1 codes with; the same
     * item listed long ago does not, and without fresh slots nothing changes.
     */
    @Test
    void shouldGiveNewlyListedItemsUnderTheFinalBeamsPrefixesAShareOfThePlaces() {
        SidTrie trie = randomTrie(11, 600);
        FakeLogits fake = new FakeLogits(LAYOUT, K);
        BeamSearch plain = new BeamSearch(fake, LAYOUT, 50);
        BeamSearch fresh = plain.withFreshItems(java.time.Duration.ofHours(1), 0.1);
        BeamRequest request = BeamRequest.of(history(2, 9), 64, 20);
        BeamResult before = plain.search(List.of(request), trie).get(0);
        List<Integer> top = before.candidates().get(0).sid();
        // The worst-scoring free last-level code under the top result's first two codes.
        long seed = FakeLogits.historySeed(plain.historyTokens(List.of(request))[0]);
        int worst = -1;
        double worstScore = Double.MAX_VALUE;
        for (int c = 0; c < K; c++) {
            int[] sid = {top.get(0), top.get(1), c, 0};
            if (trie.itemsUnder(new int[] {top.get(0), top.get(1), c}).isEmpty()
                    && fake.score(seed, sid) < worstScore) {
                worst = c;
                worstScore = fake.score(seed, sid);
            }
        }
        assertThat(worst).as("a free code under the top prefix").isNotNegative();
        int[] newSid = {top.get(0), top.get(1), worst, 0};
        trie.put("old", newSid.clone(), System.currentTimeMillis() - 7_200_000L);
        assertThat(fresh.search(List.of(request), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("old");
        trie.remove("old");
        trie.put("new", newSid.clone(), System.currentTimeMillis());

        BeamResult withFresh = fresh.search(List.of(request), trie).get(0);
        BeamResult without = plain.search(List.of(request), trie).get(0);
        assertThat(without.candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");
        assertThat(withFresh.candidates()).hasSize(20);
        BeamResult.Candidate placed =
                withFresh.candidates().stream()
                        .filter(c -> c.itemId().equals("new"))
                        .findFirst()
                        .orElseThrow();
        assertThat(placed.sid()).containsExactly(newSid[0], newSid[1], newSid[2], 0);
        assertThat(placed.score()).isEqualTo(before.candidates().get(0).score());
        // It took the place of the lowest-ranked item; the rest keep their order.
        assertThat(withFresh.candidates().stream().filter(c -> !c.itemId().equals("new")).toList())
                .isEqualTo(without.candidates().subList(0, 19));
        assertThat(withFresh.candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotHaveDuplicates();

        // "Newly listed" is read from the search's clock: two hours on, the item is not new.
        BeamSearch later =
                fresh.withClock(
                        java.time.Clock.offset(
                                java.time.Clock.systemUTC(), java.time.Duration.ofHours(2)));
        assertThat(later.search(List.of(request), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");

        // Excluded and steered-away fresh items stay out.
        BeamRequest excluding =
                new BeamRequest(history(2, 9), 64, 20, Set.of("new"), List.of(), List.of());
        assertThat(fresh.search(List.of(excluding), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");
        BeamRequest steered =
                new BeamRequest(
                        history(2, 9),
                        64,
                        20,
                        Set.of(),
                        List.of(),
                        List.of(new int[] {newSid[0], newSid[1], newSid[2]}));
        assertThat(fresh.search(List.of(steered), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");
    }

    @Test
    void shouldNotTreatAnItemAsNewWhileMostOfTheCatalogIsNew() {
        SidTrie old = randomTrie(5, 300);
        SidTrie allNew = new SidTrie(3, K);
        for (int i = 0; i < 300; i++) {
            allNew.put("i" + i, old.sidOf("i" + i), System.currentTimeMillis());
        }
        FakeLogits fake = new FakeLogits(LAYOUT, K);
        BeamSearch plain = new BeamSearch(fake, LAYOUT, 50);
        BeamRequest request = BeamRequest.of(history(1, 4), 32, 20);
        assertThat(
                        plain.withFreshItems(java.time.Duration.ofHours(1), 0.5)
                                .search(List.of(request), allNew)
                                .get(0))
                .isEqualTo(plain.search(List.of(request), allNew).get(0));
    }

    @Test
    void shouldRankAYoungItemThatPeopleWatchByThePriorWhereTheDecoderNeverReachesIt() {
        long t0 = 1_700_000_000_000L;
        YoungItemScene scene = youngItemScene(t0);
        SidTrie trie = scene.trie();
        PopularityPrior prior = scene.prior();
        prior.observe("i1", scene.base().sidOf("i1"), t0);
        BeamSearch plain =
                new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50).withPrior(prior, 0.01);
        BeamRequest request = BeamRequest.of(history(1, 4), 2, 20);
        List<String> without =
                plain.search(List.of(request), trie).get(0).candidates().stream()
                        .map(BeamResult.Candidate::itemId)
                        .toList();
        assertThat(without).doesNotContain("new");

        BeamSearch young = plain.withYoungItems(java.time.Duration.ofDays(7), 2, 50);
        BeamResult result = young.search(List.of(request), trie).get(0);
        assertThat(result.candidates()).extracting(BeamResult.Candidate::itemId).contains("new");
        assertThat(result.candidates())
                .filteredOn(c -> c.itemId().equals("new"))
                .extracting(BeamResult.Candidate::sid)
                .containsExactly(List.of(15, 15, 15, 0));
        // Seen items stay out.
        BeamRequest seen =
                new BeamRequest(history(1, 4), 2, 20, Set.of("new"), List.of(), List.of());
        assertThat(young.search(List.of(seen), trie).get(0).candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");
        // A huge offset only fills places the beams left empty, after every item they found.
        List<BeamResult.Candidate> found = plain.search(List.of(request), trie).get(0).candidates();
        assertThat(
                        plain.withYoungItems(java.time.Duration.ofDays(7), 1e6, 50)
                                .search(List.of(request), trie)
                                .get(0)
                                .candidates())
                .startsWith(found.toArray(BeamResult.Candidate[]::new))
                .hasSize(found.size() + 1);
        // Without a prior there is nothing to rank young items by.
        BeamSearch noPrior = new BeamSearch(new FakeLogits(LAYOUT, K), LAYOUT, 50);
        assertThat(
                        noPrior.withYoungItems(java.time.Duration.ofDays(7), 2, 50)
                                .search(List.of(request), trie)
                                .get(0))
                .isEqualTo(noPrior.search(List.of(request), trie).get(0));
    }

    @Test
    void shouldRankYoungItemsInTheSearchRetrievalServerServesByDefault() {
        YoungItemScene scene = youngItemScene(1_700_000_000_000L);
        SidTrie trie = scene.trie();
        PopularityPrior prior = scene.prior();
        BeamRequest request = BeamRequest.of(history(1, 4), 2, 20);
        RetrievalConfig defaults = RetrievalConfig.fromEnv(java.util.Map.of());
        RetrievalConfig youngOff =
                RetrievalConfig.fromEnv(java.util.Map.of("SIDSTREAM_YOUNG_ITEM_WINDOW_HOURS", "0"));

        BeamResult served =
                RetrievalService.servedSearch(
                                new FakeLogits(LAYOUT, K), LAYOUT, 50, defaults, prior, 0.01)
                        .search(List.of(request), trie)
                        .get(0);
        BeamResult withoutYoung =
                RetrievalService.servedSearch(
                                new FakeLogits(LAYOUT, K), LAYOUT, 50, youngOff, prior, 0.01)
                        .search(List.of(request), trie)
                        .get(0);

        // The decoder never reaches the new item; the people watching it bring it in.
        assertThat(withoutYoung.candidates())
                .extracting(BeamResult.Candidate::itemId)
                .doesNotContain("new");
        assertThat(served.candidates()).extracting(BeamResult.Candidate::itemId).contains("new");
    }

    /** 300 items listed long ago and one, "new", listed an hour before t0; both watched. */
    private record YoungItemScene(SidTrie trie, SidTrie base, PopularityPrior prior) {}

    private static YoungItemScene youngItemScene(long t0) {
        SidTrie trie = new SidTrie(3, K);
        SidTrie base = randomTrie(5, 300);
        for (int i = 0; i < 300; i++) {
            trie.put("i" + i, base.sidOf("i" + i), t0 - 300L * 86_400_000);
        }
        int[] newSid = {15, 15, 15, 0};
        trie.put("new", newSid, t0 - 3_600_000);
        PopularityPrior prior = new PopularityPrior(3, K, java.time.Duration.ofHours(24), 0.1);
        for (int e = 0; e < 200; e++) {
            prior.observe("new", newSid, t0 - 3_000_000 + e * 1_000);
            prior.observe("i" + (e % 300), base.sidOf("i" + (e % 300)), t0 - 3_000_000 + e * 1_000);
        }
        return new YoungItemScene(trie, base, prior);
    }
}
