package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.tls.ServerTls;
import io.hyperfile.nbd.tls.TlsMode;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve --tls ...}: the default, a working directory, and one-line errors with exit 2 for every mistake. */
class TlsOptionsTest {
    @TempDir
    Path dir;

    private static TlsOptions parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.tlsOptions;
    }

    /** Runs {@code hyperfile serve} with {@code args}; returns the exit code and stderr's first line. */
    private String[] serve(String... args) {
        List<String> all = new ArrayList<>(List.of("serve", "--store=file:" + dir.resolve("store"), "--listen=127.0.0.1:0"));
        all.addAll(List.of(args));
        StringWriter err = new StringWriter();
        int code = Hyperfile.run(all.toArray(String[]::new), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        String text = err.toString();
        assertFalse(text.contains("\tat "), "no stack trace: " + text);
        return new String[] {Integer.toString(code), text.lines().findFirst().orElse("")};
    }

    @Test
    void offByDefault() {
        assertSame(ServerTls.OFF, parse().serverTls());
    }

    @Test
    void mistakesAreOneLineAndExitTwo() throws Exception {
        String[] r = serve("--tls", "on");
        assertEquals("2", r[0]);
        assertEquals("hyperfile: --tls on needs --tls-certificates DIR (a directory with server-cert.pem and server-key.pem)", r[1]);

        r = serve("--tls", "maybe");
        assertEquals("2", r[0]);
        assertEquals("hyperfile: invalid --tls 'maybe': use off, on or require", r[1]);

        r = serve("--tls", "require", "--tls-certificates", dir.resolve("none").toString());
        assertEquals("2", r[0]);
        assertEquals("hyperfile: TLS certificate directory " + dir.resolve("none") + " does not exist or is not a directory", r[1]);

        Path certs = Files.createDirectories(dir.resolve("certs"));
        r = serve("--tls", "require", "--tls-certificates", certs.toString());
        assertEquals("2", r[0]);
        assertEquals("hyperfile: " + certs.resolve("server-cert.pem") + " is missing (the server's certificate)", r[1]);

        r = serve("--tls-verify-peer");
        assertEquals("2", r[0]);
        assertEquals("hyperfile: --tls-verify-peer needs --tls on or --tls require", r[1]);

        r = serve("--tls-certificates", certs.toString());
        assertEquals("2", r[0]);
        assertTrue(r[1].startsWith("hyperfile: --tls-certificates has no effect with --tls off"), r[1]);
    }

    @Test
    void aCertificateDirectoryFromOpensslIsUsedAndAnUnreadableKeyIsReported() throws Exception {
        Assumptions.assumeTrue(onPath("openssl"), "openssl is not installed; .ci/run installs it");
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                certs.resolve("server-key.pem").toString(), "-out", certs.resolve("server-cert.pem").toString(), "-subj",
                "/CN=localhost", "-days", "1").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals(0, p.waitFor());

        ServerTls tls = parse("--tls", "require", "--tls-certificates", certs.toString()).serverTls();
        assertEquals(TlsMode.REQUIRE, tls.mode());
        assertTrue(tls.isRequired());

        String[] r = serve("--tls", "on", "--tls-certificates", certs.toString(), "--tls-verify-peer");
        assertEquals("2", r[0]);
        assertEquals("hyperfile: " + certs.resolve("ca-cert.pem")
                + " is missing (the CA certificate that --tls-verify-peer checks clients against)", r[1]);

        Files.writeString(certs.resolve("server-key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nnot base64!\n-----END RSA PRIVATE KEY-----\n");
        r = serve("--tls", "on", "--tls-certificates", certs.toString());
        assertEquals("2", r[0]);
        assertEquals("hyperfile: " + certs.resolve("server-key.pem") + ": the RSA PRIVATE KEY block is not valid base64", r[1]);
    }

    private static boolean onPath(String binary) {
        for (String d : System.getenv("PATH").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, binary))) {
                return true;
            }
        }
        return false;
    }
}
