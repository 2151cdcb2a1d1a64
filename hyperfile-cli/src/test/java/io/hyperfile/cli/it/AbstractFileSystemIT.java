package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentSkipListMap;
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
    /** The kill workload's writers stop after this much if the kill has not stopped them (it comes long before). */
    private static final long WORKLOAD_MAX_BYTES = 1L << 30;

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
        FileSystemTools.assumeAvailable();
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
            FileSystemTools.mkfs(fsType, disk.file());
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
            FileSystemTools.fsck(fsType, disk.file());
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
            assertEquals(0, server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n" + server.logTail());
        }
        System.out.printf("  %s: %d files written and synced in %.1f s, restarted, verified and checked in %.1f s%n",
                fsType, sums.size(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    }

    /**
     * ext4 with a write workload of two threads that each write files and fsync them (file and directory); once a
     * random amount is synced, the test SIGKILLs the server the moment a writer is inside an fsync, so that
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
            FileSystemTools.mkfs("ext4", disk.file());
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
            FileSystemTools.fsck("ext4", disk.file());
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
            assertEquals(0, server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n" + server.logTail());
        }
        System.out.printf("  kill -9 after %d workload bytes (target %d): %d files durable and verified, %d writes failed%n",
                workload.bytesSynced(), killAfterBytes, durable.size(), workload.failures());
    }

    private record Workload(long bytesSynced, int failures) {
    }

    /** Two {@link SyncedWriters}; once {@code killAfterBytes} are synced, SIGKILLs the server while a writer is inside fsync. */
    private Workload writeUntilKilled(Path root, ServerProcess server, long killAfterBytes, Map<String, String> durable)
            throws InterruptedException {
        SyncedWriters writers = SyncedWriters.start(root, "workload", 2, WORKLOAD_MAX_BYTES, random, durable, server::isAlive);
        if (!writers.awaitSynced(killAfterBytes, 600)) {
            server.kill9();
            writers.join();
            throw new AssertionError("the writers did not sync " + killAfterBytes + " bytes within 600 s; " + seedMessage);
        }
        while (!writers.isInsideFsync() && writers.isRunning()) {
            Thread.onSpinWait(); // wait for a writer to enter fsync (milliseconds at most)
        }
        server.kill9();
        writers.join();
        return new Workload(writers.bytesSynced(), writers.failures());
    }
}
