package io.sidstream.retrieval;

import io.sidstream.platform.service.ServiceLauncher;

import java.time.Duration;

/**
 * Entry point: {@code RetrievalMain [config.properties]}. Settings come from the environment (see
 * {@link RetrievalSetting}); an optional properties file is read first and the environment wins.
 */
public final class RetrievalMain {
    private RetrievalMain() {}

    public static void main(String[] args) throws Exception {
        int status = run(args);
        if (status != ServiceLauncher.STOPPED) {
            System.exit(status);
        }
    }

    /**
     * Runs the service until a signal or a fatal failure and returns the status to exit with (the
     * launcher's {@code ./sidstream retrieval} runs the same).
     */
    public static int run(String[] args) throws Exception {
        return ServiceLauncher.run(
                args,
                RetrievalConfig::fromEnv,
                config -> RetrievalService.start(config, Duration.ofMinutes(5)));
    }
}
