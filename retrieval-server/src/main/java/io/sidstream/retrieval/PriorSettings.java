package io.sidstream.retrieval;

import io.sidstream.model.bundle.BundleManifest;

import java.time.Duration;
import java.util.Locale;

/**
 * The live popularity prior's settings: its weight in the beam score (0 = decoder alone), its
 * half-life and its smoothing. They belong to a decoder, so a bundle carries the ones chosen for it
 * on the validation split; the operator's {@code SIDSTREAM_PRIOR_*} keys override them.
 */
public record PriorSettings(double weight, Duration halfLife, double pseudoCount) {
    public PriorSettings {
        if (!(weight >= 0) || halfLife.isNegative() || halfLife.isZero() || !(pseudoCount > 0)) {
            throw new IllegalArgumentException(
                    "prior weight >= 0, half-life > 0 and pseudo-count > 0 needed");
        }
    }

    /** The settings a bundle records. */
    public static PriorSettings of(BundleManifest.Prior p) {
        return new PriorSettings(p.weight(), Duration.ofHours(p.halfLifeHours()), p.pseudoCount());
    }

    /** These settings as a bundle records them, with how they were chosen. */
    public BundleManifest.Prior toManifest(String chosenOn) {
        return new BundleManifest.Prior(weight, (int) halfLife.toHours(), pseudoCount, chosenOn);
    }

    public String json() {
        return String.format(
                Locale.ROOT,
                "{\"weight\":%s,\"half_life_hours\":%d,\"pseudo_count\":%s}",
                weight,
                halfLife.toHours(),
                pseudoCount);
    }
}
