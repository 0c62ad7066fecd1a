package io.sidstream.contracts.serde;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate generated classes from packages it does not trust. Trusting our
 * own generated package here means no JVM flag is needed in apps, tests or containers.
 */
final class TrustedPackages {
    // Generated classes of every sidstream module (topic contracts and internal store records).
    static final String GENERATED_PACKAGE = "io.sidstream.";
    private static volatile boolean installed;

    private TrustedPackages() {}

    static synchronized void ensureTrusted() {
        if (installed) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(
                ClassSecurityValidator.composite(
                        previous, type -> type.getName().startsWith(GENERATED_PACKAGE)));
        installed = true;
    }
}
