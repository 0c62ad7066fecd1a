package io.sidstream.datasets.scale;

import io.sidstream.datasets.CatalogItem;
import io.sidstream.datasets.Interaction;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * A deterministic catalog and interaction stream of any size for scale benchmarks, shaped like the
 * real data: item {@code i} is a variant of real catalog item {@code i mod n} (same text with a
 * variant number, same genres, so the genre distribution is the real one), items are listed over
 * the first half of the period, and interactions arrive in time order with Zipf-skewed item
 * popularity (exponent {@code s}, ranks a fixed random permutation of the items) and Zipf-skewed
 * user activity. Equal arguments give equal output, on any machine. Quality figures stay on the
 * real data; this is for cost.
 */
public final class ScaleGenerator {
    private final List<CatalogItem> base;
    private final int items;
    private final long seed;
    private final long startMillis;
    private final long periodMillis;
    private final int[] itemByRank;
    private final ZipfSampler itemRanks;

    /**
     * @param base the real catalog the items vary
     * @param items catalog size (up to about 2^31)
     * @param skew Zipf exponent of item popularity (1.0 is a classic long tail)
     */
    public ScaleGenerator(
            List<CatalogItem> base,
            int items,
            double skew,
            long seed,
            long startMillis,
            long periodMillis) {
        if (base.isEmpty() || items < 1 || periodMillis < 1) {
            throw new IllegalArgumentException("need a base catalog, items >= 1, a period > 0");
        }
        this.base = List.copyOf(base);
        this.items = items;
        this.seed = seed;
        this.startMillis = startMillis;
        this.periodMillis = periodMillis;
        this.itemRanks = new ZipfSampler(items, skew);
        this.itemByRank = new int[items];
        for (int i = 0; i < items; i++) {
            itemByRank[i] = i;
        }
        SplittableRandom shuffle = new SplittableRandom(seed);
        for (int i = items - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            int t = itemByRank[i];
            itemByRank[i] = itemByRank[j];
            itemByRank[j] = t;
        }
    }

    public int items() {
        return items;
    }

    /** The id of item {@code i}. */
    public static String itemId(int i) {
        return "s" + i;
    }

    /** Which real catalog item item {@code i} varies. */
    public int baseIndex(int i) {
        return i % base.size();
    }

    /** Item {@code i}: its base item's text and genres, with the variant number in the title. */
    public CatalogItem item(int i) {
        CatalogItem b = base.get(baseIndex(i));
        int variant = i / base.size();
        return new CatalogItem(
                itemId(i),
                variant == 0 ? b.title() : b.title() + " (" + variant + ")",
                b.description(),
                b.categories(),
                b.brand());
    }

    /** When item {@code i} is listed: spread over the first half of the period. */
    public long listedAtMillis(int i) {
        return startMillis
                + (long)
                        (new SplittableRandom(seed ^ (31L * i + 7)).nextDouble()
                                * periodMillis
                                / 2);
    }

    /**
     * {@code count} interactions of {@code users} users in time order over the period, generated
     * lazily (a 100M-event stream needs no memory): item by popularity rank, user by activity.
     */
    public Iterator<Interaction> interactions(long count, int users, double userSkew) {
        ZipfSampler userRanks = new ZipfSampler(users, userSkew);
        SplittableRandom random = new SplittableRandom(seed + 1);
        return new Iterator<>() {
            private long n;

            @Override
            public boolean hasNext() {
                return n < count;
            }

            @Override
            public Interaction next() {
                if (n >= count) {
                    throw new NoSuchElementException();
                }
                long at = startMillis + (long) ((double) n / count * periodMillis);
                n++;
                int item = itemByRank[itemRanks.sample(random)];
                int user = userRanks.sample(random);
                return new Interaction("u" + user, itemId(item), "CLICK", 1.0, at);
            }
        };
    }

    /**
     * Zipf ranks 0..n-1 with P(rank r) proportional to 1 / (r + 1)^s, by binary search in the
     * cumulative weights (4 bytes per rank).
     */
    static final class ZipfSampler {
        private final float[] cumulative;

        ZipfSampler(int n, double s) {
            cumulative = new float[n];
            double sum = 0;
            for (int r = 0; r < n; r++) {
                sum += 1 / Math.pow(r + 1, s);
                cumulative[r] = (float) sum;
            }
            for (int r = 0; r < n; r++) {
                cumulative[r] = (float) (cumulative[r] / sum);
            }
            cumulative[n - 1] = 1f;
        }

        int sample(SplittableRandom random) {
            float u = (float) random.nextDouble();
            int lo = 0;
            int hi = cumulative.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
