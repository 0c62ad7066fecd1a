package io.sidstream.platform.service;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class ServiceLauncherTest {
    @Test
    void shouldCloseTheServiceAndReportFailureWhenItFailsByItself() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        CompletableFuture<String> failure = new CompletableFuture<>();
        ServiceLauncher.Service service =
                new ServiceLauncher.Service() {
                    @Override
                    public CompletableFuture<String> failure() {
                        return failure;
                    }

                    @Override
                    public void close() {
                        closed.set(true);
                    }
                };
        failure.complete("stream thread failed");
        int status = ServiceLauncher.run(new String[0], env -> "config", config -> service);
        assertThat(status).isEqualTo(ServiceLauncher.FAILED);
        assertThat(closed).isTrue();
    }

    @Test
    void shouldStartNothingAndReportBadConfiguration() throws Exception {
        AtomicBoolean started = new AtomicBoolean();
        int status =
                ServiceLauncher.run(
                        new String[0],
                        (Map<String, String> env) -> {
                            throw new IllegalArgumentException("A: bad; B: missing");
                        },
                        config -> {
                            started.set(true);
                            return () -> {};
                        });
        assertThat(status).isEqualTo(ServiceLauncher.BAD_CONFIG);
        assertThat(started).isFalse();
    }
}
