package io.sidstream.testkit.kafka;

import io.sidstream.localkafka.EmbeddedKraftCluster;
import io.sidstream.localkafka.KafkaCluster;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;

import java.util.Locale;

/**
 * JUnit 5 extension that injects a running {@link KafkaCluster} into test constructors, lifecycle
 * methods and test methods.
 *
 * <p>One cluster is started per backend for the whole test run (it lives in the root extension
 * store and is closed when the run ends), so a broker start is paid once per JVM, not per class.
 *
 * <p>The backend comes from the system property {@value #BACKEND_PROPERTY}:
 *
 * <ul>
 *   <li>{@code embedded} (default): an in-process KRaft broker; needs nothing but the JVM.
 *   <li>{@code container}: a Testcontainers broker; tests are <em>skipped</em> (aborted) when no
 *       Docker engine is available.
 *   <li>{@code auto}: the container where Docker runs, else the embedded broker.
 * </ul>
 */
public final class KafkaClusterExtension implements ParameterResolver {
    /**
     * System property that selects the backend: {@code embedded}, {@code container}, {@code auto}.
     */
    public static final String BACKEND_PROPERTY = "sidstream.kafka.backend";

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KafkaClusterExtension.class);

    /** The backend a test run uses. */
    public enum Backend {
        EMBEDDED,
        CONTAINER,
        AUTO;

        static Backend fromProperty() {
            String value = System.getProperty(BACKEND_PROPERTY, "embedded");
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        BACKEND_PROPERTY + "=" + value + " is not one of embedded, container, auto",
                        e);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext context) {
        return parameterContext.getParameter().getType() == KafkaCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
        return sharedCluster(context, Backend.fromProperty());
    }

    /** The run-wide cluster for a backend, started on first use. */
    public static KafkaCluster sharedCluster(ExtensionContext context, Backend requested) {
        Backend backend = resolve(requested);
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        return store.getOrComputeIfAbsent(
                        backend, b -> new ClosingHolder(startCluster(backend)), ClosingHolder.class)
                .cluster();
    }

    private static Backend resolve(Backend requested) {
        return switch (requested) {
            case EMBEDDED -> Backend.EMBEDDED;
            case AUTO ->
                    ContainerKafkaCluster.dockerAvailable() ? Backend.CONTAINER : Backend.EMBEDDED;
            case CONTAINER -> {
                if (!ContainerKafkaCluster.dockerAvailable()) {
                    throw new TestAbortedException(
                            "no Docker engine available for the Testcontainers Kafka backend");
                }
                yield Backend.CONTAINER;
            }
        };
    }

    private static KafkaCluster startCluster(Backend backend) {
        return backend == Backend.CONTAINER
                ? ContainerKafkaCluster.start()
                : EmbeddedKraftCluster.start();
    }

    /** Closes the cluster when the root context (the whole test run) closes. */
    private record ClosingHolder(KafkaCluster cluster) implements AutoCloseable {
        @Override
        public void close() {
            cluster.close();
        }
    }
}
