package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyperfile serve --tls require --tls-certificates DIR --tls-verify-peer} end to end: the shaded jar serves a
 * volume to nbdinfo over {@code nbds://} with a client certificate, and refuses a plain client and one without a
 * certificate. Certificates are made with the openssl command.
 */
class ServeTlsIT {
    @TempDir
    Path dir;

    private static void openssl(Path workDir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Commands.run(60, workDir, command).orThrow();
    }

    /** ca-cert.pem, server/ (server-cert.pem, server-key.pem, ca-cert.pem) and client/ (client-*.pem, ca-cert.pem). */
    private Path makeCertificates() throws Exception {
        Path c = Files.createDirectories(dir.resolve("certs"));
        Files.createDirectories(c.resolve("server"));
        Files.createDirectories(c.resolve("client"));
        Files.createDirectories(c.resolve("anonymous"));
        openssl(c, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca-key.pem", "-out", "ca-cert.pem", "-days", "2",
                "-subj", "/CN=Serve TLS test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Files.writeString(c.resolve("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
        Files.writeString(c.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
        for (String who : List.of("server", "client")) {
            openssl(c, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + "/" + who + "-key.pem", "-out", who + ".csr",
                    "-subj", who.equals("server") ? "/CN=localhost" : "/CN=backup-1");
            openssl(c, "x509", "-req", "-in", who + ".csr", "-CA", "ca-cert.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                    "-days", "2", "-extfile", who + ".ext", "-out", who + "/" + who + "-cert.pem");
        }
        for (String d : List.of("server", "client", "anonymous")) {
            Files.copy(c.resolve("ca-cert.pem"), c.resolve(d).resolve("ca-cert.pem"));
        }
        return c;
    }

    @Test
    void servesOnlyVerifiedTlsClients() throws Exception {
        List<String> missing = Commands.missing("openssl", "nbdinfo");
        assumeTrue(missing.isEmpty(), "not on the PATH: " + missing + "; .ci/run installs them");
        Path certs = makeCertificates();
        String store = "file:" + dir.resolve("store");
        Commands.hyperfile(dir, "volume", "create", "disk", "--size", "16M", "--store", store).orThrow();

        try (ServerProcess server = ServerProcess.start(dir, Map.of(), "--store", store, "--gc", "off", "--tls", "require",
                "--tls-certificates", certs.resolve("server").toString(), "--tls-verify-peer", "disk")) {
            String uri = "nbds://127.0.0.1:" + server.port() + "/disk?tls-certificates=";
            Commands.Result ok = Commands.run(60, "nbdinfo", "--size", uri + certs.resolve("client"));
            assertEquals(0, ok.exitCode(), ok.toString());
            assertEquals("16777216", ok.output().trim());

            Commands.Result plain = Commands.run(60, "nbdinfo", "--size", "nbd://127.0.0.1:" + server.port() + "/disk");
            assertNotEquals(0, plain.exitCode(), plain.toString());
            Commands.Result anonymous = Commands.run(60, "nbdinfo", "--size", uri + certs.resolve("anonymous"));
            assertNotEquals(0, anonymous.exitCode(), anonymous.toString());
            assertTrue(Files.readString(server.log()).contains("TLS handshake failed"), server.logTail());
            assertEquals(0, server.terminate(120), "exit code after SIGTERM; log:\n" + server.logTail());
        }
    }
}
