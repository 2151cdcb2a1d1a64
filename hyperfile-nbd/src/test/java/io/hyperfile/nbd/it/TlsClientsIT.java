package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.ServerFixture;
import io.hyperfile.nbd.testing.TestCertificates;
import io.hyperfile.nbd.tls.ServerTls;
import io.hyperfile.nbd.tls.TlsMode;
import io.hyperfile.nbd.tls.TlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS clients against the server: libnbd's nbdinfo and nbdcopy ({@code nbds://} URIs with
 * {@code tls-certificates=DIR}) and qemu-img ({@code tls-creds-x509} objects). Certificates are made with openssl
 * ({@link TestCertificates}); each client is skipped if it is not installed.
 */
class TlsClientsIT {
    private static final long SIZE = 64L << 20;

    @TempDir
    static Path certRoot;
    @TempDir
    Path tmp;
    private static TestCertificates certs;
    private ServerFixture fixture;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certRoot);
    }

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    private int serve(TlsMode mode, String serverDir, boolean verifyPeer) throws IOException {
        if (fixture != null) {
            fixture.close();
        }
        fixture = new ServerFixture();
        fixture.addVolume("disk", SIZE);
        fixture.startWith(ServerConfig.builder().port(0).build(),
                ServerTls.create(new TlsSettings(mode, certs.dir(serverDir), verifyPeer)));
        return fixture.port();
    }

    private static String nbds(int port, String clientDir) {
        return "nbds://127.0.0.1:" + port + "/disk?tls-certificates=" + certs.dir(clientDir);
    }

    private static String nbd(int port) {
        return "nbd://127.0.0.1:" + port + "/disk";
    }

    private static Tools.Result nbdinfo(String uri) throws Exception {
        return Tools.run(60, List.of("nbdinfo", "--json", uri));
    }

    @Test
    void nbdinfoConnectsWithTlsAndIsRefusedWithoutItWhenRequired() throws Exception {
        Tools.require("nbdinfo");
        int port = serve(TlsMode.REQUIRE, "server", false);
        Tools.Result tls = nbdinfo(nbds(port, "client-anonymous"));
        assertEquals(0, tls.exitCode(), tls.output());
        assertTrue(tls.output().contains("\"TLS\": true"), tls.output());
        assertTrue(tls.output().contains("\"export-size\": " + SIZE), tls.output());

        // libnbd 1.14 prints the server's ERR_TLS_REQD message only in its debug output
        ProcessBuilder pb = new ProcessBuilder("nbdinfo", nbd(port)).redirectErrorStream(true);
        pb.environment().put("LIBNBD_DEBUG", "1");
        Process p = pb.start();
        p.getOutputStream().close();
        String plain = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertNotEquals(0, p.exitValue(), plain);
        assertTrue(plain.contains("server error message: this server requires TLS: send STARTTLS first"), plain);
        Tools.Result list = Tools.run(60, List.of("nbdinfo", "--list", "nbd://127.0.0.1:" + port + "/"));
        assertNotEquals(0, list.exitCode(), list.output());
    }

    @Test
    void onServesPlainAndTlsClients() throws Exception {
        Tools.require("nbdinfo");
        int port = serve(TlsMode.ON, "server", false);
        Tools.Result plain = nbdinfo(nbd(port));
        assertEquals(0, plain.exitCode(), plain.output());
        assertTrue(plain.output().contains("\"TLS\": false"), plain.output());
        Tools.Result tls = nbdinfo(nbds(port, "client-anonymous"));
        assertEquals(0, tls.exitCode(), tls.output());
        assertTrue(tls.output().contains("\"TLS\": true"), tls.output());
    }

    @Test
    void nbdcopyWritesAndReadsBackThroughTls() throws Exception {
        Tools.require("nbdcopy", "cmp");
        int port = serve(TlsMode.REQUIRE, "server", true);
        Path src = tmp.resolve("src.img");
        byte[] data = new byte[(int) SIZE];
        new Random(5).nextBytes(data);
        Files.write(src, data);
        Path back = tmp.resolve("back.img");
        Tools.ok(180, "nbdcopy", "--connections=2", "--flush", src.toString(), nbds(port, "client"));
        Tools.ok(180, "nbdcopy", "--connections=2", nbds(port, "client"), back.toString());
        Tools.ok(60, "cmp", src.toString(), back.toString());
    }

    @Test
    void verifyPeerRefusesClientsWithoutACertificateFromTheCa() throws Exception {
        Tools.require("nbdinfo");
        int port = serve(TlsMode.REQUIRE, "server", true);
        for (String bad : List.of("client-anonymous", "client-rogue", "client-expired")) {
            Tools.Result r = nbdinfo(nbds(port, bad));
            assertNotEquals(0, r.exitCode(), bad + " must be refused: " + r.output());
        }
        Tools.Result good = nbdinfo(nbds(port, "client"));
        assertEquals(0, good.exitCode(), good.output());
    }

    @Test
    void clientsRefuseAServerCertificateFromAnotherCaOrExpired() throws Exception {
        Tools.require("nbdinfo");
        for (String serverDir : List.of("server-rogue", "server-expired")) {
            int port = serve(TlsMode.REQUIRE, serverDir, false);
            Tools.Result r = nbdinfo(nbds(port, "client-anonymous"));
            assertNotEquals(0, r.exitCode(), serverDir + " must be refused: " + r.output());
            assertTrue(r.output().toLowerCase().contains("certificate"), r.output());
        }
    }

    private static List<String> qemuImg(String command, String clientDir, int port, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("qemu-img", command, "--object",
                "tls-creds-x509,id=tls0,endpoint=client,dir=" + certs.dir(clientDir)));
        args.addAll(List.of(more));
        return args;
    }

    private static String imageOpts(int port) {
        return "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + port + ",export=disk,tls-creds=tls0";
    }

    @Test
    void qemuImgInfoAndConvertThroughTlsWithAndWithoutClientCertificates() throws Exception {
        Tools.require("qemu-img", "cmp");
        int port = serve(TlsMode.REQUIRE, "server", false);
        String info = Tools.ok(60, qemuImg("info", "client-anonymous", port, "--image-opts", imageOpts(port)).toArray(String[]::new));
        assertTrue(info.contains("virtual size: 64 MiB"), info);
        Tools.Result plain = Tools.run(60, List.of("qemu-img", "info", "nbd://127.0.0.1:" + port + "/disk"));
        assertNotEquals(0, plain.exitCode(), plain.output());
        assertTrue(plain.output().contains("TLS negotiation required")
                && plain.output().contains("server reported: this server requires TLS"), plain.output());

        Path src = tmp.resolve("q.img");
        byte[] data = new byte[8 << 20];
        new Random(9).nextBytes(data);
        Files.write(src, data);
        Path back = tmp.resolve("q-back.img");
        Tools.ok(120, qemuImg("convert", "client-anonymous", port, "-n", "-f", "raw", "--target-image-opts", src.toString(),
                imageOpts(port)).toArray(String[]::new));
        Tools.ok(120, qemuImg("convert", "client-anonymous", port, "--image-opts", imageOpts(port), "-O", "raw",
                back.toString()).toArray(String[]::new));
        byte[] read = Files.readAllBytes(back);
        assertEquals(SIZE, read.length);
        assertTrue(java.util.Arrays.equals(data, 0, data.length, read, 0, data.length), "data read back differs");

        int verifying = serve(TlsMode.REQUIRE, "server", true);
        Tools.ok(60, qemuImg("info", "client", verifying, "--image-opts", imageOpts(verifying)).toArray(String[]::new));
        Tools.Result anonymous = Tools.run(60, qemuImg("info", "client-anonymous", verifying, "--image-opts", imageOpts(verifying)));
        assertNotEquals(0, anonymous.exitCode(), anonymous.output());
    }
}
