package io.sidstream.platform.service;

import io.sidstream.platform.settings.SettingsReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The shared life of a service's {@code main}: read settings (optional properties file, then the
 * environment), report every configuration problem at once, start, and close on SIGTERM/Ctrl-C or
 * when the service fails by itself. It returns the process status for the {@code *Main} class to
 * exit with, so Kubernetes restarts a service that died instead of leaving a live-looking pod.
 */
public final class ServiceLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceLauncher.class);

    /** Exit status: stopped by a signal. */
    public static final int STOPPED = 0;

    /** Exit status: the service failed by itself (a fatal error at run time). */
    public static final int FAILED = 1;

    /** Exit status: the configuration is invalid; nothing was started. */
    public static final int BAD_CONFIG = 2;

    private ServiceLauncher() {}

    /** A running service that may fail by itself. */
    public interface Service extends AutoCloseable {
        /** Completes with the reason when the service stops by itself; never on {@link #close}. */
        CompletableFuture<String> failure();
    }

    /** Starts a service from settings; start-up failures propagate and end the process. */
    public interface Starter<C> {
        AutoCloseable start(C config) throws Exception;
    }

    /** Runs until a signal or a fatal failure; returns the status to exit with. */
    public static <C> int run(
            String[] args, Function<Map<String, String>, C> parse, Starter<C> starter)
            throws Exception {
        C config;
        try {
            config = parse.apply(SettingsReader.fromArgsAndEnvironment(args));
        } catch (IllegalArgumentException | IOException e) {
            LOG.error("invalid configuration, nothing started:\n{}", e.getMessage());
            return BAD_CONFIG;
        }
        AutoCloseable service = starter.start(config);
        AtomicBoolean closed = new AtomicBoolean();
        CompletableFuture<String> signalled = new CompletableFuture<>();
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    signalled.complete("signal");
                                    closeOnce(service, closed);
                                },
                                "shutdown"));
        CompletableFuture<String> failure =
                service instanceof Service s ? s.failure() : new CompletableFuture<>();
        Object first = CompletableFuture.anyOf(signalled, failure).get();
        if (failure.isDone() && !signalled.isDone()) {
            LOG.error("service failed, stopping: {}", first);
            closeOnce(service, closed);
            return FAILED;
        }
        return STOPPED;
    }

    private static void closeOnce(AutoCloseable service, AtomicBoolean closed) {
        if (closed.compareAndSet(false, true)) {
            try {
                service.close();
            } catch (Exception e) {
                LOG.error("error while stopping", e);
            }
        }
    }
}
