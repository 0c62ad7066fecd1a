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
        int status =
                ServiceLauncher.run(
                        args,
                        IngestConfig::fromEnv,
                        config -> IngestService.start(config, Duration.ofMinutes(5)));
        if (status != ServiceLauncher.STOPPED) {
            System.exit(status);
        }
    }
}
