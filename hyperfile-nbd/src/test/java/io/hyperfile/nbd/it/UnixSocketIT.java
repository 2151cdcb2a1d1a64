package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.access.AccessPolicy;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.ServerFixture;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Unix-domain socket listener with nbdinfo and qemu-img: alone, beside TCP, stale files, the {@code unix} rule. */
class UnixSocketIT {
    private static final long SIZE = 64L << 20;
    @TempDir
    Path dir;
    private ServerFixture fixture;

    @AfterEach
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static String uri(String export, Path socket) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    private ServerFixture serve(ServerConfig config, AccessConfig access) throws IOException {
        fixture = new ServerFixture();
        fixture.addVolume("disk0", SIZE);
        return fixture.start(config, access);
    }

    @Test
    void unixSocketAloneServesNbdinfoAndQemuImgAndIsDeletedAtShutdown() throws Exception {
        Tools.require("nbdinfo", "qemu-img");
        Path socket = dir.resolve("nbd.sock");
        serve(ServerConfig.builder().unixSocket(socket).noTcp().build(), AccessConfig.OPEN);
        assertTrue(Files.exists(socket));
        assertThrows(IllegalStateException.class, () -> fixture.server().localAddress(), "no TCP listener");
        assertTrue(Tools.ok(60, "nbdinfo", "--json", uri("disk0", socket)).contains("\"export-size\": " + SIZE));
        assertTrue(Tools.ok(60, "nbdinfo", "--json", "nbd+unix://?socket=" + socket).contains("\"export-name\": \"disk0\""),
                "the empty name selects the only export");
        Path image = dir.resolve("image");
        byte[] data = new byte[1 << 20];
        new java.util.Random(3).nextBytes(data);
        Files.write(image, data);
        Tools.ok(120, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), uri("disk0", socket));
        Tools.ok(120, "qemu-img", "compare", "-f", "raw", "-F", "raw", image.toString(),
                "json:{\"driver\":\"raw\",\"size\":" + data.length + ",\"file\":{\"driver\":\"nbd\",\"path\":\"" + socket
                        + "\",\"export\":\"disk0\"}}");
        fixture.stopServer();
        assertFalse(Files.exists(socket), "socket file deleted at shutdown");
    }

    @Test
    void unixSocketBesideTcpAndTheUnixRule() throws Exception {
        Tools.require("nbdinfo");
        Path socket = dir.resolve("nbd.sock");
        AccessConfig onlyUnix = AccessConfig.OPEN.withPolicy(AccessPolicy.parse(List.of("unix")));
        serve(ServerConfig.builder().port(0).unixSocket(socket).build(), onlyUnix);
        assertTrue(Tools.ok(60, "nbdinfo", "--json", uri("disk0", socket)).contains("\"export-size\": " + SIZE));
        Tools.Result tcp = Tools.run(60, List.of("nbdinfo", fixture.uri("disk0")));
        assertNotEquals(0, tcp.exitCode(), "a TCP client does not match the unix rule: " + tcp.output());
        assertTrue(tcp.output().contains("Operation not supported"), tcp.output());
    }

    @Test
    void aStaleSocketFileIsReplacedButALiveOneOrAFileIsNot() throws Exception {
        Tools.require("nbdinfo");
        Path socket = dir.resolve("nbd.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(socket));
            IOException e = assertThrows(IOException.class,
                    () -> serve(ServerConfig.builder().unixSocket(socket).noTcp().build(), AccessConfig.OPEN));
            assertTrue(e.getMessage().contains("another server listens on it"), e.getMessage());
            fixture.close();
            fixture = null;
        }
        assertTrue(Files.exists(socket), "closing a JDK listener leaves its file: a stale socket");
        serve(ServerConfig.builder().unixSocket(socket).noTcp().build(), AccessConfig.OPEN);
        assertTrue(Tools.ok(60, "nbdinfo", "--json", uri("disk0", socket)).contains("\"export-size\": " + SIZE));
        fixture.close();
        fixture = null;

        Path file = dir.resolve("not-a-socket");
        Files.writeString(file, "data");
        IOException e = assertThrows(IOException.class,
                () -> serve(ServerConfig.builder().unixSocket(file).noTcp().build(), AccessConfig.OPEN));
        assertTrue(e.getMessage().contains("the path exists and is not a socket"), e.getMessage());
        assertTrue(Files.exists(file), "a file that is not a socket is left alone");
    }
}
