package io.hyperfile.nbd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.server.NbdServer;
import io.hyperfile.nbd.server.ServerConfig;
import io.hyperfile.nbd.testing.TestVolumes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file system on the export, through nbdfuse and a loop mount: mkfs, write and checksum files, unmount, restart the
 * server (the volume reopened from its store), fsck clean, mount again and compare.
 */
class NbdFuseIT {
    private static final long SIZE = 512L << 20;

    @TempDir
    Path tmp;

    @Test
    void ext4() throws Exception {
        fileSystemSurvivesARestart(List.of("mkfs.ext4", "-q", "-F"), List.of("e2fsck", "-fn"));
    }

    @Test
    void xfs() throws Exception {
        fileSystemSurvivesARestart(List.of("mkfs.xfs", "-q", "-f"), List.of("xfs_repair", "-n"));
    }

    private void fileSystemSurvivesARestart(List<String> mkfs, List<String> fsck) throws Exception {
        Tools.require("nbdfuse", "fusermount3", "mount", "umount", mkfs.get(0), fsck.get(0));
        Tools.requireMountPrivileges();
        InMemoryObjectStore store = new InMemoryObjectStore();
        Volume volume = TestVolumes.create(store, "fs", "fs", SIZE);
        Path fuseDir = Files.createDirectories(tmp.resolve("fuse"));
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        Path device = fuseDir.resolve("nbd");
        Map<String, String> sums = new LinkedHashMap<>();
        try (Served s = new Served(volume, fuseDir)) {
            Tools.ok(180, concat(mkfs, device.toString()));
            Tools.ok(60, "mount", "-o", "loop", device.toString(), mnt.toString());
            try {
                Random r = new Random(42);
                for (int i = 0; i < 6; i++) {
                    byte[] d = new byte[(1 << 20) * (1 + r.nextInt(8)) + r.nextInt(5000)];
                    r.nextBytes(d);
                    Path file = Files.createDirectories(mnt.resolve("dir" + (i % 2))).resolve("file" + i);
                    Files.write(file, d);
                    sums.put(mnt.relativize(file).toString(), sha256(d));
                }
                Tools.ok(60, "sync");
            } finally {
                Tools.ok(60, "umount", mnt.toString());
            }
        }
        // Restart: the server and the volume go away; a new volume object is opened from the store alone.
        TestVolumes.close(volume);
        Volume reopened = TestVolumes.open(store, "fs", "fs");
        try (Served s = new Served(reopened, fuseDir)) {
            Tools.ok(300, concat(fsck, device.toString()));
            Tools.ok(60, "mount", "-o", "loop,ro", device.toString(), mnt.toString());
            try {
                for (Map.Entry<String, String> e : sums.entrySet()) {
                    assertEquals(e.getValue(), sha256(Files.readAllBytes(mnt.resolve(e.getKey()))), e.getKey());
                }
            } finally {
                Tools.ok(60, "umount", mnt.toString());
            }
        } finally {
            TestVolumes.close(reopened);
        }
    }

    /** A server for one volume plus an nbdfuse process exposing it as {@code fuseDir/nbd}. */
    private static final class Served implements AutoCloseable {
        private final NbdServer server;
        private final Process fuse;
        private final Path fuseDir;

        Served(Volume volume, Path fuseDir) throws Exception {
            this.fuseDir = fuseDir;
            server = new NbdServer(ServerConfig.builder().port(0).build(), new ExportRegistry().add(Export.of("fs", new VolumeBlockDevice(volume)))).start();
            fuse = new ProcessBuilder("nbdfuse", fuseDir.resolve("nbd").toString(), "nbd://127.0.0.1:" + server.port() + "/fs")
                    .redirectErrorStream(true).redirectOutput(fuseDir.getParent().resolve("nbdfuse.log").toFile()).start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(fuseDir.resolve("nbd"))) {
                assertTrue(fuse.isAlive(), "nbdfuse exited: " + Files.readString(fuseDir.getParent().resolve("nbdfuse.log")));
                assertTrue(System.nanoTime() < deadline, "nbdfuse did not mount");
                Thread.sleep(50);
            }
        }

        @Override
        public void close() throws Exception {
            Tools.run(60, List.of("fusermount3", "-u", fuseDir.toString()));
            if (!fuse.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                fuse.destroyForcibly();
                Tools.run(60, List.of("fusermount3", "-u", "-z", fuseDir.toString()));
            }
            server.close();
        }
    }

    private static String[] concat(List<String> cmd, String arg) {
        String[] a = cmd.toArray(new String[cmd.size() + 1]);
        a[cmd.size()] = arg;
        return a;
    }

    private static String sha256(byte[] d) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(d));
    }
}
