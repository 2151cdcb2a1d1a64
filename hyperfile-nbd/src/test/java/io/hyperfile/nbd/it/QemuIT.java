package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.testing.ServerFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** qemu's NBD client (qemu-io, qemu-img) against the server. */
class QemuIT {
    private static ServerFixture fixture;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("qemu-io", "qemu-img");
        fixture = new ServerFixture();
        fixture.addVolume("io", 64L << 20);
        fixture.addVolume("img", 256L << 20);
        fixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static String qemuIo(String... commands) throws Exception {
        String[] cmd = new String[4 + 2 * commands.length];
        cmd[0] = "qemu-io";
        cmd[1] = "-f";
        cmd[2] = "raw";
        cmd[3] = fixture.uri("io");
        for (int i = 0; i < commands.length; i++) {
            cmd[4 + 2 * i] = "-c";
            cmd[5 + 2 * i] = commands[i];
        }
        String out = Tools.ok(120, cmd);
        assertFalse(out.contains("failed") || out.contains("error") || out.contains("Error"), out);
        return out;
    }

    @Test
    void writeReadVerifyPatternsWithFuaDiscardAndWriteZeroes() throws Exception {
        qemuIo("write -P 0xa5 0 4M", "write -f -P 0x5a 1M 64k", "write -z 2M 512k", "write -z -u 3M 1M", "discard 3M 4k",
                "write -P 0x11 4095 3", "flush");
        qemuIo("read -P 0xa5 0 4095", "read -P 0xa5 4098 1044478", "read -P 0x5a 1M 64k", "read -P 0xa5 1088k 960k", "read -P 0 2M 512k",
                "read -P 0xa5 2560k 512k", "read -P 0 3M 1M", "read -P 0x11 4095 3");
        // Many requests in flight at once (qemu-io's aio commands), then verify.
        qemuIo("aio_write -P 0x21 8M 1M", "aio_write -P 0x22 9M 1M", "aio_write -f -P 0x23 10M 1M", "aio_write -z 11M 1M",
                "aio_flush", "aio_read -P 0x21 8M 1M", "aio_read -P 0x22 9M 1M", "aio_read -P 0x23 10M 1M",
                "aio_read -P 0 11M 1M", "aio_flush");
        // Unaligned and large requests.
        qemuIo("write -P 0x33 12345 777777", "read -P 0x33 12345 777777", "write -P 0x44 16M 32M", "read -P 0x44 16M 32M");
    }

    @Test
    void imgConvertAndCompareInBothDirections() throws Exception {
        Path src = NbdCopyIT.sparseImage(tmp, 256L << 20, 5);
        Path back = tmp.resolve("back.img");
        String uri = fixture.uri("img");
        Tools.ok(180, "qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src.toString(), uri);
        assertTrue(Tools.ok(180, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), uri).contains("Images are identical"));
        Tools.ok(180, "qemu-img", "convert", "-f", "raw", "-O", "raw", uri, back.toString());
        assertTrue(Tools.ok(180, "qemu-img", "compare", "-f", "raw", "-F", "raw", src.toString(), back.toString())
                .contains("Images are identical"));
        Path qcow = tmp.resolve("copy.qcow2");
        Tools.ok(180, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", uri, qcow.toString());
        assertTrue(Tools.ok(180, "qemu-img", "compare", "-F", "raw", qcow.toString(), uri).contains("Images are identical"));
        String map = Tools.ok(60, "qemu-img", "map", "-f", "raw", "--output=json", uri);
        assertTrue(map.contains("\"data\": true") && map.contains("\"data\": false"), map);
    }
}
