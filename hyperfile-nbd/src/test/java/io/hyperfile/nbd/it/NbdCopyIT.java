package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.nbd.testing.ServerFixture;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nbdcopy with 4 connections round-trips a sparse 1 GiB image; nbdinfo --map reports what was done. */
class NbdCopyIT {
    @TempDir
    Path tmp;

    /** A 1 GiB sparse file: mostly holes, with random data extents of 4 KiB .. 2 MiB at random offsets. */
    static Path sparseImage(Path dir, long size, long seed) throws Exception {
        Path img = dir.resolve("src.img");
        Random r = new Random(seed);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(size);
            for (int i = 0; i < 40; i++) {
                byte[] d = new byte[4096 * (1 + r.nextInt(512))];
                r.nextBytes(d);
                long off = (long) r.nextInt((int) ((size - d.length) / 512)) * 512;
                f.seek(off);
                f.write(d);
            }
            byte[] tail = new byte[3333];
            r.nextBytes(tail);
            f.seek(size - tail.length);
            f.write(tail);
        }
        return img;
    }

    @Test
    void roundTripsASparseImageWithFourConnections() throws Exception {
        Tools.require("nbdcopy", "cmp");
        long size = 1L << 30;
        Path src = sparseImage(tmp, size, 11);
        Path back = tmp.resolve("back.img");
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("disk", size);
            f.start();
            Tools.ok(240, "nbdcopy", "--connections=4", "--flush", src.toString(), f.uri("disk"));
            Tools.ok(240, "nbdcopy", "--connections=4", f.uri("disk"), back.toString());
        }
        assertEquals(size, Files.size(back));
        Tools.ok(120, "cmp", src.toString(), back.toString());
    }

    @Test
    void mapMatchesWhatWasWrittenTrimmedAndZeroed() throws Exception {
        Tools.require("nbdinfo", "qemu-io");
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("disk", 16L << 20);
            f.start();
            String uri = f.uri("disk");
            Tools.ok(60, "qemu-io", "-f", "raw", uri, "-c", "write -P 0x55 0 4M", "-c", "discard 1M 1M", "-c", "write -z 2M 1M",
                    "-c", "write -P 0x66 8M 64k");
            String map = Tools.ok(60, "nbdinfo", "--map", uri);
            String expected = String.join("\n",
                    row(0, 1 << 20, 0, "data"),
                    row(1 << 20, 1 << 20, 3, "hole,zero"),
                    row(2 << 20, 1 << 20, 2, "zero"),
                    row(3 << 20, 1 << 20, 0, "data"),
                    row(4 << 20, 4 << 20, 3, "hole,zero"),
                    row(8 << 20, 64 << 10, 0, "data"),
                    row((8 << 20) + (64 << 10), (8 << 20) - (64 << 10), 3, "hole,zero"));
            assertEquals(expected, normalize(map));
        }
    }

    private static String row(long offset, long length, int type, String description) {
        return offset + " " + length + " " + type + " " + description;
    }

    private static String normalize(String map) {
        StringBuilder s = new StringBuilder();
        for (String line : map.strip().split("\n")) {
            s.append(String.join(" ", line.trim().split("\\s+"))).append('\n');
        }
        return s.toString().strip();
    }
}
