package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.access.AccessPolicy;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.ServerFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Allow-lists, connection limits and the default export with real clients (nbdinfo, nbdcopy, qemu-img) and the Java
 * test client where the exact reply matters. Clients connect from 127.0.0.1 (or ::1).
 */
class AccessIT {
    private static final long SIZE = 64L << 20;
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private ServerFixture serve(AccessConfig access, String... volumes) throws IOException {
        return serve(ServerConfig.builder().port(0).build(), access, volumes);
    }

    private ServerFixture serve(ServerConfig config, AccessConfig access, String... volumes) throws IOException {
        fixture = new ServerFixture();
        for (String v : volumes) {
            fixture.addVolume(v, SIZE);
        }
        return fixture.start(config, access);
    }

    private static AccessConfig allowing(String... specs) {
        return AccessConfig.OPEN.withPolicy(AccessPolicy.parse(List.of(specs)));
    }

    private String root() {
        return "nbd://127.0.0.1:" + fixture.port() + "/";
    }

    @Test
    void aClientNotOnTheListGetsErrPolicyAndSeesNoExport() throws Exception {
        Tools.require("nbdinfo");
        serve(allowing("secret=10.0.0.0/8,cn:admin", "pub=127.0.0.1"), "secret", "pub");
        IOException refused = assertThrows(IOException.class,
                () -> NbdTestClient.connect(fixture.port(), "secret", NbdTestClient.Options.KERNEL));
        assertTrue(refused.getMessage().startsWith("GO failed: 0x80000002 access to the requested export is denied"), refused.getMessage());
        String list = Tools.ok(60, "nbdinfo", "--list", "--json", root());
        assertTrue(list.contains("\"export-name\": \"pub\""), list);
        assertFalse(list.contains("secret"), list);
        Tools.Result info = Tools.run(60, List.of("nbdinfo", fixture.uri("secret")));
        assertNotEquals(0, info.exitCode());
        // libnbd reports ERR_POLICY as ENOTSUP ("Operation not supported") and ERR_UNKNOWN as ENOENT.
        assertTrue(info.output().contains("Operation not supported"), info.output());
        Tools.Result unknownToo = Tools.run(60, List.of("nbdinfo", fixture.uri("nope")));
        assertTrue(unknownToo.output().contains("Operation not supported"), "names that are no export are refused alike: "
                + unknownToo.output());
        assertTrue(Tools.ok(60, "nbdinfo", "--json", fixture.uri("pub")).contains("\"export-size\": " + SIZE));
        try (NbdTestClient c = NbdTestClient.connect(fixture.port(), "pub")) {
            assertTrue(c.write(0, new byte[4096]).ok());
        }
    }

    @Test
    void ipv6RulesMatchIpv6Clients() throws Exception {
        Tools.require("nbdinfo");
        ServerConfig v6 = ServerConfig.builder().bindAddress("::1").port(0).build();
        try {
            serve(v6, allowing("disk=::1/128", "other=127.0.0.0/8"), "disk", "other");
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e.getMessage());
        }
        String at = "nbd://[::1]:" + fixture.port() + "/";
        assertTrue(Tools.ok(60, "nbdinfo", "--json", at + "disk").contains("\"export-size\": " + SIZE));
        Tools.Result other = Tools.run(60, List.of("nbdinfo", at + "other"));
        assertNotEquals(0, other.exitCode(), other.output());
        assertTrue(other.output().contains("Operation not supported"), other.output());
    }

    @Test
    void aConnectionOverTheServerLimitIsClosedAtAcceptAndANewOneIsAdmittedAfterOneCloses() throws Exception {
        serve(AccessConfig.OPEN.withLimits(2, 0, Map.of()), "disk");
        NbdTestClient a = NbdTestClient.connect(fixture.port(), "disk");
        try (NbdTestClient b = NbdTestClient.connect(fixture.port(), "disk")) {
            try (Socket extra = new Socket()) {
                extra.connect(new InetSocketAddress("127.0.0.1", fixture.port()), 5000);
                extra.setSoTimeout(30_000);
                InputStream in = extra.getInputStream();
                assertEquals(-1, in.read(), "closed before the greeting");
            }
            a.disconnect();
            a.close();
            awaitConnections(1);
            try (NbdTestClient c = NbdTestClient.connect(fixture.port(), "disk")) {
                assertTrue(c.read(0, 512).ok());
            }
            assertTrue(b.read(0, 512).ok());
        }
    }

    /** Waits (up to 30 s) until the server counts {@code n} connections: a closed one is counted out on its event loop. */
    private void awaitConnections(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (fixture.server().limits().connections() != n) {
            assertTrue(System.nanoTime() < deadline, "server still counts " + fixture.server().limits().connections());
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Test
    void anExportAtItsLimitRefusesGoWithErrPolicyUntilOneCloses() throws Exception {
        serve(AccessConfig.OPEN.withLimits(0, 1, Map.of("wide", 4)), "disk", "wide");
        NbdTestClient first = NbdTestClient.connect(fixture.port(), "disk");
        IOException full = assertThrows(IOException.class,
                () -> NbdTestClient.connect(fixture.port(), "disk", NbdTestClient.Options.KERNEL));
        assertTrue(full.getMessage().startsWith("GO failed: 0x80000002 export 'disk' has its maximum of 1 connections"),
                full.getMessage());
        first.disconnect();
        first.close();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (fixture.server().limits().connections("disk") != 0) {
            assertTrue(System.nanoTime() < deadline, "export still counts its closed connection");
            Thread.yield();
        }
        try (NbdTestClient again = NbdTestClient.connect(fixture.port(), "disk")) {
            assertTrue(again.read(0, 512).ok());
        }
    }

    @Test
    void multiConnCopiesFitALimitOfTheirConnectionCount(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Tools.require("nbdcopy");
        serve(AccessConfig.OPEN.withLimits(0, 1, Map.of("wide", 4)), "disk", "wide");
        java.nio.file.Path image = dir.resolve("image");
        byte[] data = new byte[(int) SIZE];
        new java.util.Random(7).nextBytes(data);
        java.nio.file.Files.write(image, data);
        Tools.ok(120, "nbdcopy", "--connections=4", image.toString(), fixture.uri("wide"));
        java.nio.file.Path back = dir.resolve("back");
        Tools.ok(120, "nbdcopy", "--connections=4", fixture.uri("wide"), back.toString());
        assertTrue(java.util.Arrays.equals(data, java.nio.file.Files.readAllBytes(back)));
        // Over the limit: nbdcopy's extra connections are refused, and nbdcopy fails rather than copying less.
        Tools.Result over = Tools.run(120, List.of("nbdcopy", "--connections=4", image.toString(), fixture.uri("disk")));
        assertNotEquals(0, over.exitCode(), over.output());
        assertTrue(over.output().contains("server policy prevents NBD_OPT_GO"), over.output());
    }

    @Test
    void anEmptyExportNameSelectsTheOnlyExport() throws Exception {
        Tools.require("nbdinfo", "qemu-img");
        serve(AccessConfig.OPEN, "disk0");
        String info = Tools.ok(60, "nbdinfo", "--json", "nbd://127.0.0.1:" + fixture.port());
        assertTrue(info.contains("\"export-name\": \"disk0\""), info);
        assertTrue(Tools.ok(60, "qemu-img", "info", "--output=json", "nbd://127.0.0.1:" + fixture.port())
                .contains("\"virtual-size\": " + SIZE));
    }

    @Test
    void anEmptyExportNameNeedsADefaultWhenThereAreSeveral() throws Exception {
        Tools.require("nbdinfo");
        serve(AccessConfig.OPEN, "disk0", "disk1");
        Tools.Result none = Tools.run(60, List.of("nbdinfo", "nbd://127.0.0.1:" + fixture.port()));
        assertNotEquals(0, none.exitCode());
        assertTrue(none.output().contains("No such file or directory for the default export"), none.output());
        fixture.close();
        serve(AccessConfig.OPEN.withDefaultExport("disk1"), "disk0", "disk1");
        String info = Tools.ok(60, "nbdinfo", "--json", "nbd://127.0.0.1:" + fixture.port());
        assertTrue(info.contains("\"export-name\": \"disk1\""), info);
    }
}
