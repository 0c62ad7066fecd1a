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
        int status =
                ServiceLauncher.run(
                        args,
                        RetrievalConfig::fromEnv,
                        config -> RetrievalService.start(config, Duration.ofMinutes(5)));
        if (status != ServiceLauncher.STOPPED) {
            System.exit(status);
        }
    }
}
