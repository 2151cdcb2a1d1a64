package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * File systems end to end: {@code hyperfile serve} as a child process, its export as a file through
 * {@code nbdfuse}, formatted and loop-mounted, files with SHA-256 written, then everything stopped, the server
 * restarted, and the files and the file system checked. Subclasses choose the store.
 *
 * <p>Needs root, {@code /dev/fuse}, loop devices and the tools (Debian: libnbd-bin, fuse3, e2fsprogs, xfsprogs);
 * without them each test is skipped and says what is missing. {@code -Dhyperfile.fs.seed=S} replays the file
 * contents and the kill moment.
 */
abstract class AbstractFileSystemIT {
    private static final long SEED = Long.getLong("hyperfile.fs.seed", System.nanoTime());
    static final long WRITE_BYTES = 100L << 20;

    /** Kept when a test fails: it holds the store and every server's log (serve-N.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    SplittableRandom random;
    String seedMessage;

    /** Arguments of {@code hyperfile serve} after {@code --listen} (store, volumes). */
    abstract List<String> serveArgs();

    /** Extra environment of the server (credentials). */
    Map<String, String> serveEnvironment() {
        return Map.of();
    }

    /** The export that holds the test disk. */
    abstract String export();

    @BeforeEach
    void requireRootAndTools(TestInfo test) throws Exception {
        List<String> missing = Commands.missing("nbdfuse", "fusermount3", "mount", "umount", "sync", "mkfs.ext4",
                "e2fsck", "mkfs.xfs", "xfs_repair");
        assumeTrue(missing.isEmpty(), "not on the PATH: " + String.join(", ", missing)
                + " (Debian packages libnbd-bin, fuse3, e2fsprogs, xfsprogs)");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse (FUSE)");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices (/dev/loop-control)");
        String uid = Commands.run(10, "id", "-u").output().trim();
        assumeTrue(uid.equals("0"), "mount needs root, this is uid " + uid);
        long seed = SEED ^ test.getDisplayName().hashCode();
        random = new SplittableRandom(seed);
        seedMessage = "seed " + SEED + " (replay: -Dhyperfile.fs.seed=" + SEED + ")";
        System.out.println(getClass().getSimpleName() + " " + test.getDisplayName() + ": " + seedMessage);
    }

    ServerProcess startServer() throws IOException {
        return ServerProcess.start(dir, serveEnvironment(), serveArgs().toArray(String[]::new));
    }

    @Test
    void ext4SurvivesARestart() throws Exception {
        writeRestartAndCheck("ext4");
    }

    @Test
    void xfsSurvivesARestart() throws Exception {
        writeRestartAndCheck("xfs");
    }

    /**
     * mkfs, mount, write ≥ 100 MiB, sync, unmount, stop nbdfuse, SIGTERM the server (exit 0); then start it again,
     * mount, compare every checksum, unmount, and check the file system read-only.
     */
    void writeRestartAndCheck(String fsType) throws Exception {
        long t0 = System.nanoTime();
        Map<String, String> sums;
        try (ServerProcess server = startServer(); FuseDisk disk = FuseDisk.start(dir, server.port(), export())) {
            mkfs(fsType, disk.file());
            try (LoopMount mount = LoopMount.mount(disk.file(), dir.resolve("mnt"))) {
                sums = FileTree.write(mount.root(), WRITE_BYTES, random);
                mount.sync();
                mount.unmount();
            }
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
            assertEquals(0, server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n" + server.logTail());
        }
        long t1 = System.nanoTime();
        try (ServerProcess server = startServer(); FuseDisk disk = FuseDisk.start(dir, server.port(), export())) {
            try (LoopMount mount = LoopMount.mount(disk.file(), dir.resolve("mnt"))) {
                long bytes = FileTree.totalBytes(mount.root(), sums);
                assertTrue(bytes >= WRITE_BYTES, "only " + bytes + " bytes in the files");
                assertEquals(List.of(), FileTree.mismatches(mount.root(), sums), seedMessage);
                mount.unmount();
            }
            fsck(fsType, disk.file());
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
            assertEquals(0, server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n" + server.logTail());
        }
        System.out.printf("  %s: %d files written and synced in %.1f s, restarted, verified and checked in %.1f s%n",
                fsType, sums.size(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }

    /**
     * ext4 with a write workload of two threads that each write files and fsync them (file and directory); once a
     * random amount is synced, a third thread SIGKILLs the server the moment a writer is inside an fsync, so that
     * writes and FLUSHes are in flight. Then: unmount what is left, restart the server and nbdfuse,
     * mount (the journal is replayed), check every file written and synced before the workload and every file
     * whose fsync returned (each such fsync waited for an acknowledged FLUSH), unmount, and {@code e2fsck -fn} must
     * find the file system clean.
     */
    @Test
    void ext4RecoversFromKill9DuringWrites() throws Exception {
        Map<String, String> durable = new ConcurrentSkipListMap<>();
        long killAfterBytes = random.nextLong(8L << 20, 48L << 20);
        Workload workload;
        try (ServerProcess server = startServer(); FuseDisk disk = FuseDisk.start(dir, server.port(), export())) {
            mkfs("ext4", disk.file());
            try (LoopMount mount = LoopMount.mount(disk.file(), dir.resolve("mnt"))) {
                FileTree.write(mount.root().resolve("before"), 16L << 20, random).forEach((k, v) -> durable.put("before/" + k, v));
                mount.sync();
                workload = writeUntilKilled(mount.root(), server, killAfterBytes, durable);
                server.kill9AndWait();
                mount.close(); // may report I/O errors: the disk is gone
            }
            disk.close(); // nbdfuse lost its server: restart it too
        }
        try (ServerProcess server = startServer(); FuseDisk disk = FuseDisk.start(dir, server.port(), export())) {
            try (LoopMount mount = LoopMount.mount(disk.file(), dir.resolve("mnt"))) {
                assertEquals(List.of(), FileTree.mismatches(mount.root(), durable), seedMessage);
                mount.unmount();
            }
            fsck("ext4", disk.file());
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
            assertEquals(0, server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n" + server.logTail());
        }
        System.out.printf("  kill -9 after %d workload bytes (target %d): %d files durable and verified, %d writes failed%n",
                workload.bytesSynced(), killAfterBytes, durable.size(), workload.failures());
    }

    private record Workload(long bytesSynced, int failures) {
    }

    private Workload writeUntilKilled(Path root, ServerProcess server, long killAfterBytes, Map<String, String> durable)
            throws InterruptedException {
        CountDownLatch armed = new CountDownLatch(1);
        AtomicLong synced = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger syncing = new AtomicInteger();
        AtomicInteger writersLeft = new AtomicInteger(2);
        Thread killer = new Thread(() -> {
            try {
                armed.await();
                while (syncing.get() == 0 && writersLeft.get() > 0) {
                    Thread.onSpinWait(); // wait for a writer to enter fsync (milliseconds at most)
                }
                server.kill9();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "hf-test-killer");
        killer.start();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            SplittableRandom r = random.split();
            String prefix = "workload" + w + "/f";
            writers.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 2048 && server.isAlive(); i++) {
                        String name = prefix + String.format("%05d.bin", i);
                        long size = r.nextLong(4 << 10, 1 << 20);
                        try {
                            String sum = FileTree.writeFile(root.resolve(name), size, r, false);
                            syncing.incrementAndGet();
                            try {
                                FileTree.fsync(root.resolve(name));
                            } finally {
                                syncing.decrementAndGet();
                            }
                            durable.put(name, sum);
                        } catch (IOException e) {
                            failures.incrementAndGet(); // the kill hit this file: nothing is promised about it
                            return;
                        }
                        if (synced.addAndGet(size) >= killAfterBytes) {
                            armed.countDown();
                        }
                    }
                } finally {
                    writersLeft.decrementAndGet();
                }
            }, "hf-test-writer-" + w));
        }
        writers.forEach(Thread::start);
        for (Thread t : writers) {
            t.join();
        }
        armed.countDown();
        killer.join();
        return new Workload(synced.get(), failures.get());
    }

    static void mkfs(String fsType, Path image) throws IOException, InterruptedException {
        List<String> cmd = fsType.equals("xfs") ? List.of("mkfs.xfs", "-f", "-q", image.toString())
                : List.of("mkfs.ext4", "-F", "-q", image.toString());
        Commands.run(300, null, cmd).orThrow();
    }

    /** e2fsck -fn or xfs_repair -n: both exit 0 only for a clean file system. */
    static void fsck(String fsType, Path image) throws IOException, InterruptedException {
        List<String> cmd = fsType.equals("xfs") ? List.of("xfs_repair", "-n", image.toString())
                : List.of("e2fsck", "-fn", image.toString());
        Commands.Result r = Commands.run(300, null, cmd);
        assertEquals(0, r.exitCode(), r.toString());
    }
}
