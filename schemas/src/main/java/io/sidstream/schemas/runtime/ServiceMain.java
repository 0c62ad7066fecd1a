package io.sidstream.schemas.runtime;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * The shared life of a service's {@code main}: read settings (optional properties file, then the
 * environment), exit 2 listing every configuration problem, start, and close on SIGTERM/Ctrl-C.
 */
public final class ServiceMain {
    private ServiceMain() {}

    /** Starts a service from settings; failures propagate and end the process. */
    public interface Starter<C> {
        AutoCloseable start(C config) throws Exception;
    }

    public static <C> void run(
            String[] args, Function<Map<String, String>, C> parse, Starter<C> starter)
            throws Exception {
        C config;
        try {
            config = parse.apply(SettingsReader.fromArgsAndEnvironment(args));
        } catch (IllegalArgumentException | IOException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        AutoCloseable service = starter.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    try {
                                        service.close();
                                    } catch (Exception e) {
                                        System.err.println("error while stopping: " + e);
                                    } finally {
                                        stopped.countDown();
                                    }
                                },
                                "shutdown"));
        stopped.await();
    }
}
