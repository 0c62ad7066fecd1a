package io.sidstream.ingest;

import io.sidstream.platform.service.ServiceLauncher;

import java.time.Duration;

/**
 * Entry point: {@code IngestMain [config.properties]}. Settings come from the environment (see
 * {@link IngestSetting}); an optional properties file with the same keys is read first and the
 * environment wins.
 */
public final class IngestMain {
    private IngestMain() {}

    public static void main(String[] args) throws Exception {
        int status = run(args);
        if (status != ServiceLauncher.STOPPED) {
            System.exit(status);
        }
    }

    /**
     * Runs the service until a signal or a fatal failure and returns the status to exit with (the
     * launcher's {@code ./sidstream ingest} runs the same).
     */
    public static int run(String[] args) throws Exception {
        return ServiceLauncher.run(
                args,
                IngestConfig::fromEnv,
                config -> IngestService.start(config, Duration.ofMinutes(5)));
    }
}
