package io.sidstream.retrieval.beam;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SidTrieTest {
    private static final int LEVELS = 3;
    private static final int K = 4;

    /** The plain model the packed trie must always agree with. */
    private static final class Reference {
        final Map<String, int[]> sids = new HashMap<>();
        final Map<String, Long> listed = new HashMap<>();

        void put(String id, int[] sid, long at) {
            sids.put(id, sid.clone());
            listed.put(id, at);
        }

        void remove(String id) {
            sids.remove(id);
            listed.remove(id);
        }
    }

    @Test
    void shouldAgreeWithAPlainModelThroughPutsMovesRemovalsBatchesAndMerges() {
        Random random = new Random(42);
        for (int deltaLimit : new int[] {1, 7, 64, 0}) {
            SidTrie trie = new SidTrie(LEVELS, K, deltaLimit);
            Reference ref = new Reference();
            for (int step = 0; step < 3_000; step++) {
                int op = random.nextInt(20);
                String id = "item-" + random.nextInt(300) + (random.nextInt(8) == 0 ? "é" : "");
                if (op < 10) {
                    int[] sid = randomSid(random);
                    long at = random.nextInt(4) == 0 ? Long.MIN_VALUE : random.nextInt(1_000);
                    trie.put(id, sid, at);
                    ref.put(id, sid, at);
                } else if (op < 12 && ref.sids.containsKey(id)) {
                    // Same SID, new listing time.
                    long at = random.nextInt(1_000);
                    trie.put(id, ref.sids.get(id), at);
                    ref.put(id, ref.sids.get(id), at);
                } else if (op < 16) {
                    trie.remove(id);
                    ref.remove(id);
                } else {
                    SidTrie.Batch batch = trie.newBatch();
                    int n = random.nextBoolean() ? random.nextInt(5) : 50 + random.nextInt(300);
                    for (int i = 0; i < n; i++) {
                        String bid = "item-" + random.nextInt(300);
                        if (random.nextInt(4) == 0) {
                            batch.remove(bid);
                            ref.remove(bid);
                        } else {
                            int[] sid = randomSid(random);
                            long at = random.nextInt(1_000);
                            batch.put(bid, sid, at);
                            ref.put(bid, sid, at);
                        }
                    }
                    trie.applyAll(batch);
                }
                if (step % 97 == 0) {
                    assertSame(trie, ref);
                }
            }
            assertSame(trie, ref);
            if (deltaLimit > 0) {
                assertThat(trie.merges()).as("merges at limit %d", deltaLimit).isPositive();
            }
        }
    }

    @Test
    void shouldHideAPrefixOnceEveryItemBelowItIsRemovedFromTheBase() {
        SidTrie trie = new SidTrie(LEVELS, K, 8);
        SidTrie.Batch batch = trie.newBatch();
        batch.put("a", new int[] {1, 2, 3, 0}, 1);
        batch.put("b", new int[] {1, 2, 3, 1}, 1);
        batch.put("c", new int[] {2, 0, 0, 0}, 1);
        batch.put("d", new int[] {3, 3, 3, 0}, 1);
        trie.applyAll(batch);
        assertThat(trie.merges()).as("the batch went straight into the base").isEqualTo(1);
        trie.remove("a");
        boolean[] allowed = new boolean[K];
        assertThat(trie.allowedNext(new int[0], 0, allowed)).isEqualTo(3);
        trie.remove("b");
        assertThat(trie.allowedNext(new int[0], 0, allowed)).isEqualTo(2);
        assertThat(allowed[1]).isFalse();
        assertThat(trie.itemsUnder(new int[] {1, 2, 3})).isEmpty();
        assertThat(trie.merges()).as("the removals stayed in the delta").isEqualTo(1);
        trie.put("b", new int[] {1, 2, 3, 5});
        assertThat(trie.allowedNext(new int[] {1}, 1, allowed)).isEqualTo(1);
        assertThat(trie.itemsUnder(new int[] {1, 2, 3})).containsExactly(new SidTrie.Item("b", 5));
    }

    @Test
    void shouldRefuseSidsThatDoNotFitWithoutApplyingAnyOfTheBatch() {
        SidTrie trie = new SidTrie(LEVELS, K);
        assertThatThrownBy(() -> trie.put("x", new int[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> trie.put("x", new int[] {1, 2, K, 0}))
                .isInstanceOf(IllegalArgumentException.class);
        SidTrie.Batch batch = trie.newBatch();
        batch.put("ok", new int[] {0, 0, 0, 0}, 1);
        batch.put("bad", new int[] {0, 1, K + 1, 0}, 1);
        assertThatThrownBy(() -> trie.applyAll(batch)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> batch.put("negative", new int[] {-1, 0, 0, 0}, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(trie.size()).isZero();
        assertThat(trie.sidOf("ok")).isNull();
    }

    @Test
    void shouldStayPackedAfterAStreamOfSingleUpdates() {
        SidTrie trie = new SidTrie(3, 256);
        Random random = new Random(7);
        int n = 60_000;
        for (int i = 0; i < n; i++) {
            trie.put(
                    "s" + i,
                    new int[] {random.nextInt(256), random.nextInt(256), random.nextInt(256), 0},
                    i);
        }
        assertThat(trie.size()).isEqualTo(n);
        assertThat(trie.merges()).isPositive();
        // Base arrays: ids, offsets, collision codes, hash slots, listing times and the nodes.
        assertThat(trie.baseBytes() / (double) n).isLessThan(64);
    }

    @Test
    void shouldNeverLoseALiveItemOrReturnAWrongSidWhileAWriterChurnsAndMerges() throws Exception {
        SidTrie trie = new SidTrie(LEVELS, K, 16);
        Map<String, int[]> fixed = new HashMap<>();
        Random random = new Random(3);
        for (int i = 0; i < 400; i++) {
            fixed.put("churn-" + i, randomSid(random));
        }
        List<String> anchors = List.of("anchor-0", "anchor-1", "anchor-2");
        for (String a : anchors) {
            int[] sid = randomSid(random);
            fixed.put(a, sid);
            trie.put(a, sid, 0);
        }
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread reader =
                    new Thread(
                            () -> {
                                boolean[] allowed = new boolean[K];
                                while (!done.get() && problems.isEmpty()) {
                                    for (String a : anchors) {
                                        int[] sid = fixed.get(a);
                                        if (!Arrays.equals(trie.sidOf(a), sid)) {
                                            problems.add(a + " lost its SID");
                                        }
                                        for (int l = 0; l < LEVELS; l++) {
                                            trie.allowedNext(sid, l, allowed);
                                            if (!allowed[sid[l]]) {
                                                problems.add(a + " masked at level " + l);
                                            }
                                        }
                                        List<SidTrie.Item> under =
                                                trie.itemsUnder(Arrays.copyOf(sid, LEVELS));
                                        if (under.stream().noneMatch(i -> i.itemId().equals(a))) {
                                            problems.add(a + " missing under its prefix");
                                        }
                                        for (SidTrie.Item item : under) {
                                            int[] own = fixed.get(item.itemId());
                                            if (!Arrays.equals(
                                                            Arrays.copyOf(own, LEVELS),
                                                            Arrays.copyOf(sid, LEVELS))
                                                    || own[LEVELS] != item.collision()) {
                                                problems.add(item + " under a SID it never had");
                                            }
                                        }
                                    }
                                }
                            });
            reader.start();
            readers.add(reader);
        }
        for (int step = 0; step < 20_000 && problems.isEmpty(); step++) {
            String id = "churn-" + random.nextInt(400);
            if (random.nextBoolean()) {
                trie.put(id, fixed.get(id), step);
            } else {
                trie.remove(id);
            }
        }
        done.set(true);
        for (Thread reader : readers) {
            reader.join();
        }
        assertThat(problems).isEmpty();
        assertThat(trie.merges()).isGreaterThan(10);
    }

    private static int[] randomSid(Random random) {
        return new int[] {
            random.nextInt(K), random.nextInt(K), random.nextInt(K), random.nextInt(3)
        };
    }

    private static void assertSame(SidTrie trie, Reference ref) {
        assertThat(trie.size()).isEqualTo(ref.sids.size());
        for (Map.Entry<String, int[]> e : ref.sids.entrySet()) {
            assertThat(trie.sidOf(e.getKey())).as(e.getKey()).containsExactly(e.getValue());
        }
        assertThat(trie.sidOf("never-listed")).isNull();
        boolean[] allowed = new boolean[K];
        int[] prefix = new int[LEVELS];
        for (int length = 0; length < LEVELS; length++) {
            for (int code = 0; code < Math.pow(K, length); code++) {
                for (int l = 0, c = code; l < length; l++, c /= K) {
                    prefix[l] = c % K;
                }
                Set<Integer> expected = new TreeSet<>();
                for (int[] sid : ref.sids.values()) {
                    if (Arrays.equals(sid, 0, length, prefix, 0, length)) {
                        expected.add(sid[length]);
                    }
                }
                int n = trie.allowedNext(prefix, length, allowed);
                Set<Integer> actual = new TreeSet<>();
                for (int c = 0; c < K; c++) {
                    if (allowed[c]) {
                        actual.add(c);
                    }
                }
                assertThat(actual)
                        .as("children of %s", Arrays.toString(prefix))
                        .isEqualTo(expected);
                assertThat(n).isEqualTo(expected.size());
            }
        }
        for (int code = 0; code < K * K * K; code++) {
            int[] full = {code % K, (code / K) % K, code / K / K};
            Set<String> expected = new HashSet<>();
            ref.sids.forEach(
                    (id, sid) -> {
                        if (Arrays.equals(sid, 0, LEVELS, full, 0, LEVELS)) {
                            expected.add(id + "/" + sid[LEVELS]);
                        }
                    });
            List<SidTrie.Item> under = trie.itemsUnder(full);
            Set<String> actual = new HashSet<>();
            under.forEach(i -> actual.add(i.itemId() + "/" + i.collision()));
            assertThat(actual).isEqualTo(expected);
            assertThat(under).isSortedAccordingTo(Comparator.comparingInt(SidTrie.Item::collision));
        }
        List<String> expectedFresh = new ArrayList<>();
        ref.listed.entrySet().stream()
                .filter(e -> e.getValue() >= 200 && e.getValue() <= 700)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> expectedFresh.add(e.getValue() + ":" + e.getKey()));
        List<SidTrie.FreshItem> fresh = trie.listedBetween(200, 700, 10_000);
        assertThat(fresh)
                .isSortedAccordingTo(
                        Comparator.comparingLong(SidTrie.FreshItem::listedAtMillis).reversed());
        assertThat(fresh.stream().map(f -> f.listedAtMillis() + ":" + f.itemId()).sorted())
                .containsExactlyElementsOf(expectedFresh.stream().sorted().toList());
        for (SidTrie.FreshItem f : fresh) {
            assertThat(f.sid()).containsExactly(ref.sids.get(f.itemId()));
        }
        if (expectedFresh.size() > 1) {
            assertThat(trie.listedBetween(200, 700, expectedFresh.size() - 1)).isEmpty();
        }
    }
}
