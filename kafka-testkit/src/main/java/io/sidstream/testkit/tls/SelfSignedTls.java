package io.sidstream.testkit.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away TLS identity for a broker on loopback, made with the JDK's own {@code keytool}: a
 * PKCS12 key store holding a self-signed certificate for {@code localhost} / {@code 127.0.0.1}, and
 * the same certificate as PEM, for clients' {@code ssl.truststore.type=PEM} (what a mounted CA
 * Secret gives them in Kubernetes).
 */
public record SelfSignedTls(Path keyStore, String password, Path certificatePem) {

    /** Writes {@code broker.p12} and {@code ca.crt} into {@code dir}. */
    public static SelfSignedTls create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String password = "sidstream-test-" + Long.toHexString(System.nanoTime());
        Path keyStore = dir.resolve("broker.p12");
        Path pem = dir.resolve("ca.crt");
        Files.deleteIfExists(keyStore);
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "2",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                password,
                "-keypass",
                password);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "broker",
                "-keystore",
                keyStore.toString(),
                "-storepass",
                password,
                "-file",
                pem.toString());
        return new SelfSignedTls(keyStore, password, pem);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + out);
        }
    }
}
