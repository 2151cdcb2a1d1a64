package io.hyperfile.nbd.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Certificate directories for TLS tests, made with the {@code openssl} command into a temporary directory, laid out
 * as nbdkit, qemu and libnbd expect ({@code ca-cert.pem}, {@code server-cert.pem}/{@code server-key.pem},
 * {@code client-cert.pem}/{@code client-key.pem}). Two CAs: the trusted one and a rogue one whose certificates
 * must be refused. Server certificates name {@code localhost} and {@code 127.0.0.1}.
 *
 * <pre>
 * server/           CA + server cert, RSA key in PKCS#8 ("BEGIN PRIVATE KEY", as openssl req writes it)
 * server-pkcs1/     the same cert, its key as PKCS#1 ("BEGIN RSA PRIVATE KEY", as certtool writes it)
 * server-ec/        CA + a server cert with an EC P-256 key in SEC 1 form ("BEGIN EC PRIVATE KEY")
 * server-rogue/     server cert signed by the rogue CA
 * server-expired/   server cert signed by the CA that expired yesterday
 * client/           CA (to check the server) + client cert "CN=client-1,O=Hyperfile Test"
 * client-anonymous/ CA only: a client without a certificate
 * client-rogue/     CA + a client cert signed by the rogue CA
 * client-expired/   CA + a client cert that expired yesterday
 * </pre>
 * More client directories, for other subjects, are made on demand by {@link #client(String, String)}.
 */
public final class TestCertificates {
    public static final String CLIENT_SUBJECT = "CN=client-1,O=Hyperfile Test";
    private static final String CLIENT_EXT = "basicConstraints=critical,CA:FALSE\n"
            + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n";

    private final Path root;

    private TestCertificates(Path root) {
        this.root = root;
    }

    /** Skips the test (JUnit assumption) when {@code openssl} is missing. */
    public static void requireOpenssl() {
        Assumptions.assumeTrue(onPath("openssl"), "openssl is not installed; .ci/run installs it");
    }

    public static boolean onPath(String binary) {
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return false;
    }

    /** Makes every directory above under {@code root}. */
    public static TestCertificates create(Path root) throws IOException, InterruptedException {
        requireOpenssl();
        TestCertificates c = new TestCertificates(root);
        c.make();
        return c;
    }

    /** The directory {@code name} (see the class comment). */
    public Path dir(String name) {
        return root.resolve(name);
    }

    /**
     * Makes the client directory {@code name} (it must not exist yet): {@code ca-cert.pem} and a client certificate
     * for {@code subject} (openssl's {@code -subj} form, most significant first, e.g. {@code /O=Hyperfile Test/CN=client-a})
     * signed by the trusted CA, as {@code client-cert.pem}/{@code client-key.pem}. Returns the directory.
     */
    public Path client(String name, String subject) throws IOException, InterruptedException {
        Path work = root.resolve("work");
        Path ca = work.resolve("ca");
        Path d = directory(name, ca);
        issue(work, ca, "rsa:2048", subject, CLIENT_EXT, 30, d.resolve("client-cert.pem"), d.resolve("client-key.pem"));
        return d;
    }

    private void make() throws IOException, InterruptedException {
        Path work = Files.createDirectories(root.resolve("work"));
        Path ca = authority(work, "ca", "/CN=Hyperfile Test CA");
        Path rogue = authority(work, "rogue", "/CN=Rogue CA");
        String serverExt = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n";

        Path server = directory("server", ca);
        issue(work, ca, "rsa:2048", "/CN=localhost", serverExt, 30, server.resolve("server-cert.pem"), server.resolve("server-key.pem"));
        Path pkcs1 = directory("server-pkcs1", ca);
        Files.copy(server.resolve("server-cert.pem"), pkcs1.resolve("server-cert.pem"));
        openssl("rsa", "-in", server.resolve("server-key.pem").toString(), "-traditional", "-out", pkcs1.resolve("server-key.pem").toString());

        Path ec = directory("server-ec", ca);
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec.resolve("server-key.pem").toString());
        sign(work, ca, ec.resolve("server-key.pem"), "/CN=localhost", serverExt, 30, ec.resolve("server-cert.pem"));

        Path rogueServer = directory("server-rogue", ca);
        issue(work, rogue, "rsa:2048", "/CN=localhost", serverExt, 30, rogueServer.resolve("server-cert.pem"),
                rogueServer.resolve("server-key.pem"));
        Path expiredServer = directory("server-expired", ca);
        issue(work, ca, "rsa:2048", "/CN=localhost", serverExt, -1, expiredServer.resolve("server-cert.pem"),
                expiredServer.resolve("server-key.pem"));

        String subject = "/O=Hyperfile Test/CN=client-1";
        Path client = directory("client", ca);
        issue(work, ca, "rsa:2048", subject, CLIENT_EXT, 30, client.resolve("client-cert.pem"), client.resolve("client-key.pem"));
        directory("client-anonymous", ca);
        Path rogueClient = directory("client-rogue", ca);
        issue(work, rogue, "rsa:2048", subject, CLIENT_EXT, 30, rogueClient.resolve("client-cert.pem"),
                rogueClient.resolve("client-key.pem"));
        Path expiredClient = directory("client-expired", ca);
        issue(work, ca, "rsa:2048", subject, CLIENT_EXT, -1, expiredClient.resolve("client-cert.pem"),
                expiredClient.resolve("client-key.pem"));
    }

    private Path directory(String name, Path ca) throws IOException {
        Path d = Files.createDirectories(root.resolve(name));
        Files.copy(ca.resolve("cert.pem"), d.resolve("ca-cert.pem"));
        return d;
    }

    private static Path authority(Path work, String name, String subject) throws IOException, InterruptedException {
        Path d = Files.createDirectories(work.resolve(name));
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d.resolve("key.pem").toString(), "-out",
                d.resolve("cert.pem").toString(), "-subj", subject, "-days", "30",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return d;
    }

    /** A new key ({@code newkey}, e.g. rsa:2048) and a certificate for it signed by {@code ca}. */
    private static void issue(Path work, Path ca, String newkey, String subject, String ext, int days, Path cert, Path key)
            throws IOException, InterruptedException {
        Path csr = Files.createTempFile(work, "req", ".csr");
        openssl("req", "-new", "-newkey", newkey, "-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj", subject);
        signRequest(work, ca, csr, ext, days, cert);
    }

    /** A certificate for an existing key. */
    private static void sign(Path work, Path ca, Path key, String subject, String ext, int days, Path cert)
            throws IOException, InterruptedException {
        Path csr = Files.createTempFile(work, "req", ".csr");
        openssl("req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", subject);
        signRequest(work, ca, csr, ext, days, cert);
    }

    /** {@code days} -1 makes a certificate whose validity ended a day ago. */
    private static void signRequest(Path work, Path ca, Path csr, String ext, int days, Path cert)
            throws IOException, InterruptedException {
        Path extFile = Files.createTempFile(work, "ext", ".cnf");
        Files.writeString(extFile, ext);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.resolve("cert.pem").toString(), "-CAkey",
                ca.resolve("key.pem").toString(), "-CAcreateserial", "-CAserial", work.resolve("serial").toString(),
                "-days", Integer.toString(days), "-extfile", extFile.toString(), "-out", cert.toString());
    }

    private static void openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("openssl timed out: " + command);
        }
        if (p.exitValue() != 0) {
            throw new IOException("openssl failed (" + p.exitValue() + "): " + String.join(" ", command) + "\n" + out);
        }
    }
}
