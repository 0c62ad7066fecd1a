package io.sidstream.ingest;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point: {@code IngestMain [config.properties]}. Settings come from the environment (see
 * {@link IngestSetting}); an optional properties file with the same keys is read first and the
 * environment wins.
 */
public final class IngestMain {
    private IngestMain() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        Map<String, String> settings = new HashMap<>();
        if (args.length > 0) {
            Properties file = new Properties();
            try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
                file.load(in);
            }
            file.forEach((k, v) -> settings.put(k.toString(), v.toString()));
        }
        settings.putAll(System.getenv());
        IngestConfig config;
        try {
            config = IngestConfig.fromEnv(settings);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        IngestService service = IngestService.start(config, Duration.ofMinutes(5));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(
                        new Thread(
                                () -> {
                                    service.close();
                                    stopped.countDown();
                                },
                                "ingest-shutdown"));
        stopped.await();
    }
}
