package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.hyperfile.core.gc.GcConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage collection end to end (issue 10): ext4 on a volume served by {@code hyperfile serve} with background GC
 * made fast ({@code --gc-interval 1s --gc-grace 0}), through {@code nbdfuse} and a loop mount, as
 * {@link AbstractFileSystemIT} runs file systems. Several cycles; each writes a tree of random files, syncs, deletes about two thirds of all the
 * files there are, punches holes into half of the larger files left (5/8 of each, so that segments stay partly live and
 * need compaction), syncs, runs {@code fstrim} (the TRIMs make the freed data garbage in the store) and waits until the
 * collector has done all it will; the stored bytes must then have dropped by most of what was freed.
 *
 * <p>Every second cycle kills the server with SIGKILL in the middle of a pass that has garbage to delete or move (found
 * from the server's log, at a seeded random moment of the pass), while two writers write and fsync more files. Then
 * (every second kill, and the last) {@code hyperfile gc --grace 0} and {@code hyperfile fsck} run on the stopped
 * volume, the server is restarted, the file system mounted (the journal is replayed), every file that survives (every
 * one written and synced, or fsynced by a writer, and not deleted) must have its SHA-256, and {@code e2fsck -fn} must
 * find the file system clean. At the end the server stops with SIGTERM (exit 0) and {@code hyperfile fsck} must pass.
 *
 * <p>Needs what {@link FileSystemTools#assumeAvailable} checks (root, FUSE, loop devices, the tools); skipped
 * otherwise. {@code -Dhyperfile.fs.seed=S} replays the files, the deletions and the kill moments (which pass a moment
 * falls in still depends on timing); {@code -Dhyperfile.gcfs.cycles=N} sets the cycles (default 4; see
 * {@link #cycles}). Subclasses choose the store; this class uses a local directory.
 */
class GcFileSystemIT {
    private static final long SEED = Long.getLong("hyperfile.fs.seed", System.nanoTime());
    private static final String VOLUME = "gcfs";
    private static final String VOLUME_SIZE = "512M";
    private static final long TREE_BYTES = 40L << 20;
    private static final double DELETE_FRACTION = 0.65;
    /** Of the files left (at least {@link #PUNCH_MIN_BYTES}), this fraction get holes, once each. */
    private static final double PUNCH_FRACTION = 0.5;
    private static final long PUNCH_MIN_BYTES = 256 << 10;
    /**
     * Of the bytes deleted or punched and trimmed in a cycle, what may still be stored once GC is done is the garbage
     * {@code serve} leaves by design (it compacts only while garbage is at least {@link GcConfig#minGarbageRatio}, 20%,
     * of the stored bytes) plus this fraction of the freed bytes (metadata the deletes write; garbage in segments still
     * at least half live; measured up to 6%). Measured: 58% to 112% of the freed bytes given back; at 58%, 19.6% of the
     * stored bytes were garbage, and 16.3 MB of 38.6 MB freed stayed where 19.2 MB could (with a slack of 10%). A GC that
     * did nothing would leave all the freed bytes: about twice the allowance.
     */
    private static final double SLACK_OF_FREED = 0.15;
    private static final long FS_BLOCK_BYTES = 4096;
    /** Slow moves, so that a pass that compacts lasts long enough to be killed in. */
    private static final List<String> GC_OPTIONS = List.of("--gc-interval", "1s", "--gc-grace", "0",
            "--gc-compact-below", "0.5", "--gc-rate", "4M");
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);
    /** A pass is killed only if its walk found at least this much garbage (it will delete or move something). */
    private static final long KILL_MIN_GARBAGE_BYTES = 1L << 20;
    private static final long MAX_KILL_DELAY_MILLIS = 800;
    private static final long WRITERS_MAX_BYTES = 24L << 20;

    /** Kept when a test fails: it holds the store and every server's log (serve-N.log). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    private SplittableRandom random;
    private String seedMessage;
    private final List<GcLog> logs = new ArrayList<>();
    /** The server, disk and mount in use; closed after each test whatever happened. */
    private Stack stack;
    /** Files with holes: name → bytes punched (their blocks are already free). */
    private final Map<String, Long> punched = new HashMap<>();
    private int kills;
    private int killsDuringPass;

    /** The store options of every command ({@code --store ...}). */
    List<String> storeArgs() {
        return List.of("--store", "file:" + dir.resolve("store"));
    }

    /** Extra environment of every command (credentials). */
    Map<String, String> storeEnvironment() {
        return Map.of();
    }

    /** How many cycles the test runs: {@code -Dhyperfile.gcfs.cycles}, default 4. */
    int cycles() {
        return Integer.getInteger("hyperfile.gcfs.cycles", 4);
    }

    /** More options of {@code serve} (the read cache). */
    List<String> serveOptions() {
        return List.of();
    }

    @BeforeEach
    void createVolume(TestInfo test) throws Exception {
        FileSystemTools.assumeAvailable();
        random = new SplittableRandom(SEED ^ test.getDisplayName().hashCode());
        seedMessage = "seed " + SEED + " (replay: -Dhyperfile.fs.seed=" + SEED + ")";
        System.out.println(getClass().getSimpleName() + " " + test.getDisplayName() + ": " + seedMessage);
        hyperfile("volume", "create", VOLUME, "--size", VOLUME_SIZE).orThrow();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void ext4GivesTrimmedSpaceBackAndSurvivesKill9DuringGc() throws Exception {
        long started = System.nanoTime();
        Map<String, String> files = new ConcurrentSkipListMap<>(); // every file that must survive: name → SHA-256
        stack = start(true);
        int cycles = cycles();
        for (int cycle = 1; cycle <= cycles; cycle++) {
            cycle(cycle, cycles, files);
        }
        verifyAndCheck(files);
        assertEquals(0, stack.disk.unmount(), "nbdfuse exit code; log:\n" + stack.disk.logTail());
        assertEquals(0, stack.server.terminate(120), "hyperfile serve exit code after SIGTERM; log:\n"
                + stack.server.logTail());
        Commands.Result fsck = hyperfile("fsck", VOLUME);
        assertEquals(0, fsck.exitCode(), seedMessage + ": " + fsck);
        Commands.Result du = hyperfile("volume", "du", VOLUME, "--json").orThrow();
        assertEquals(0, field(du, "problems"), du.toString());
        List<String> failures = new ArrayList<>();
        for (GcLog log : logs) {
            failures.addAll(log.failures());
        }
        assertEquals(List.of(), failures, "failed gc passes; " + seedMessage);
        long deletedSegments = 0;
        long compactedSegments = 0;
        long movedBytes = 0;
        for (GcLog log : logs) {
            for (GcLog.Pass p : log.passes()) {
                deletedSegments += p.deletedSegments();
                compactedSegments += p.compactedSegments();
                movedBytes += p.movedBytes();
            }
        }
        assertTrue(deletedSegments > 0 && compactedSegments > 0, "background gc deleted " + deletedSegments
                + " and compacted " + compactedSegments + " segments; " + seedMessage);
        assertTrue(kills == 0 || killsDuringPass > 0, "none of the " + kills + " kills came during a gc pass; "
                + seedMessage);
        System.out.printf("  end: %d files verified; stored %d bytes, live %d (volume du after SIGTERM); background gc"
                + " deleted %d segments, compacted %d (moving %d bytes); %d kills, %d during a pass; %.1f s%n",
                files.size(), field(du, "storedBytes"), field(du, "liveBytes"), deletedSegments, compactedSegments,
                movedBytes, kills, killsDuringPass, (System.nanoTime() - started) / 1e9);
    }

    /**
     * One cycle: write, settle, delete, punch and trim, (kill during a pass and restart,) settle, check the space. Even
     * cycles kill; of those, every second one and the last run {@code hyperfile gc} on the stopped volume.
     */
    private void cycle(int cycle, int cycles, Map<String, String> files) throws Exception {
        long t0 = System.nanoTime();
        Path root = stack.mount.root();
        String tree = "c" + cycle;
        FileTree.write(root.resolve(tree), TREE_BYTES, random).forEach((k, v) -> files.put(tree + "/" + k, v));
        stack.mount.sync();
        GcLog.Walk peak = stack.log.awaitSettled(stack.log.end(), SETTLE_TIMEOUT);
        long usedBefore = FileTree.usedBytes(root);
        long deleted = deleteSome(root, files);
        long punchedBytes = punchSome(root, files);
        long freed = deleted + punchedBytes;
        stack.mount.sync();
        FileSystemTools.fstrim(root);
        stack.mount.sync();
        long mark = stack.log.end();
        Kill kill = new Kill(0, "");
        if (cycle % 2 == 0) {
            kill = killAndRestart(tree, mark, cycle % 4 == 0 || cycle == cycles, files);
            mark = 0; // the new server's log
        }
        GcLog.Walk after = stack.log.awaitSettled(mark, SETTLE_TIMEOUT);
        long reclaimed = peak.storedBytes() + kill.addedBytes() - after.storedBytes();
        System.out.printf("  cycle %d: stored %d, live %d after writing (file system: %d used); %d bytes deleted and %d"
                + " punched, trimmed; stored %d, live %d after gc (file system: %d used): %d bytes (%.0f%% of the freed)"
                + " given back%s; %.1f s%n", cycle, peak.storedBytes(), peak.liveBytes(), usedBefore, deleted, punchedBytes,
                after.storedBytes(), after.liveBytes(), FileTree.usedBytes(stack.mount.root()), reclaimed,
                100.0 * reclaimed / freed, kill.what(), (System.nanoTime() - t0) / 1e9);
        double allowed = GcConfig.DEFAULT.minGarbageRatio() * after.storedBytes() + SLACK_OF_FREED * freed;
        assertTrue(freed - reclaimed <= allowed, String.format("cycle %d: only %d of the %d bytes deleted or punched and"
                + " trimmed are gone from the store, %d may stay (stored %d after writing, %d written by the writers, %d"
                + " after gc); %s; log %s", cycle, reclaimed, freed, (long) allowed, peak.storedBytes(), kill.addedBytes(),
                after.storedBytes(), seedMessage, stack.log.file()));
    }

    /** What a kill cycle added to the disk (at most), and what happened. */
    private record Kill(long addedBytes, String what) {
    }

    /**
     * Starts two {@link SyncedWriters} (their fsynced files join {@code files}), SIGKILLs the server during a gc pass,
     * optionally runs {@code hyperfile gc} and {@code fsck} on the stopped volume, restarts everything, verifies every
     * file, runs {@code e2fsck -fn} and mounts again.
     */
    private Kill killAndRestart(String tree, long mark, boolean cliGc, Map<String, String> files) throws Exception {
        ServerProcess server = stack.server;
        SyncedWriters writers = SyncedWriters.start(stack.mount.root(), tree + "-w", 2, WRITERS_MAX_BYTES, random, files,
                server::isAlive);
        kills++;
        String what = killDuringPass(mark);
        writers.join();
        what += String.format("; writers fsynced %d of %d bytes", writers.bytesSynced(), writers.bytesWritten());
        stack.close(); // may report I/O errors: the disk is gone
        long t0 = System.nanoTime();
        if (cliGc) {
            what += "; " + gcWhileStopped();
        }
        stack = start(false);
        verifyAndCheck(files);
        stack.mount = LoopMount.mount(stack.disk.file(), dir.resolve("mnt"));
        what += String.format("; restarted, verified and checked in %.1f s", (System.nanoTime() - t0) / 1e9);
        return new Kill(writers.bytesWritten(), what);
    }

    /**
     * Deletes each file with probability {@link #DELETE_FRACTION}; returns the bytes of the file system blocks they had
     * (their size in whole blocks, less their holes).
     */
    private long deleteSome(Path root, Map<String, String> files) throws IOException {
        long bytes = 0;
        for (String name : List.copyOf(files.keySet())) {
            if (random.nextDouble() < DELETE_FRACTION) {
                Path f = root.resolve(name);
                bytes += (Files.size(f) + FS_BLOCK_BYTES - 1) / FS_BLOCK_BYTES * FS_BLOCK_BYTES
                        - punched.getOrDefault(name, 0L);
                Files.delete(f);
                files.remove(name);
            }
        }
        return bytes;
    }

    /**
     * Punches holes ({@link FileTree#punchHoles}) into some of the files, each file once, and takes their new SHA-256
     * (the holes read as zeroes); returns the bytes punched. This leaves segments partly live, for compaction.
     */
    private long punchSome(Path root, Map<String, String> files) throws IOException, InterruptedException {
        long bytes = 0;
        for (String name : List.copyOf(files.keySet())) {
            Path f = root.resolve(name);
            if (!punched.containsKey(name) && Files.size(f) >= PUNCH_MIN_BYTES && random.nextDouble() < PUNCH_FRACTION) {
                long holes = FileTree.punchHoles(f);
                bytes += holes;
                punched.put(name, holes);
                files.put(name, FileTree.sha256Of(f));
            }
        }
        return bytes;
    }

    /**
     * Waits for a pass whose walk found at least {@link #KILL_MIN_GARBAGE_BYTES} of garbage, then for a random time: if
     * the pass is still running then (no summary logged), SIGKILLs the server; if it ended first, kills the next such
     * pass as soon as its walk is logged. Returns what the kill hit.
     */
    private String killDuringPass(long from) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
        long boundMillis = MAX_KILL_DELAY_MILLIS;
        int endedFirst = 0;
        while (System.nanoTime() < deadline) {
            GcLog.Walk walk = stack.log.nextWalk(from, Duration.ofNanos(deadline - System.nanoTime()));
            if (walk == null) {
                break;
            }
            if (walk.garbageBytes() < KILL_MIN_GARBAGE_BYTES) {
                from = walk.end();
                continue;
            }
            long delayMillis = boundMillis <= 0 ? 0 : random.nextLong(boundMillis);
            GcLog.Pass ended = stack.log.nextPass(walk.end(), Duration.ofMillis(delayMillis));
            if (ended == null) {
                stack.server.kill9AndWait();
                List<String> steps = stack.log.stepsAfter(walk.end());
                boolean during = stack.log.nextPass(walk.end(), Duration.ZERO) == null;
                killsDuringPass += during ? 1 : 0;
                return String.format("; SIGKILL %d ms after the walk of a pass (%d bytes of garbage), %s, after '%s'%s",
                        delayMillis, walk.garbageBytes(), during ? "during it" : "as it ended",
                        steps.isEmpty() ? "walked" : steps.get(steps.size() - 1),
                        endedFirst == 0 ? "" : " (" + endedFirst + " passes ended before their kill moment)");
            }
            endedFirst++;
            // The next qualifying pass is killed as soon as its walk is logged: once the writers are done there may be
            // only one more (a CI run saw two such passes end before random kill moments and no third come).
            boundMillis = 0;
            from = ended.end();
        }
        stack.server.kill9AndWait();
        fail("no gc pass with at least " + KILL_MIN_GARBAGE_BYTES + " bytes of garbage was running at its kill moment within "
                + SETTLE_TIMEOUT.toSeconds() + " s (" + endedFirst + " ended first); " + seedMessage + "; log "
                + stack.log.file() + ":\n" + stack.server.logTail());
        return null;
    }

    /** {@code hyperfile gc --grace 0} (exit 0) and {@code hyperfile fsck} (exit 0) on the stopped volume. */
    private String gcWhileStopped() throws IOException, InterruptedException {
        Commands.Result gc = hyperfile("gc", VOLUME, "--grace", "0", "--passes", "5", "--json");
        assertEquals(0, gc.exitCode(), seedMessage + ": " + gc);
        Matcher before = Pattern.compile("\"before\":\\{\"storedBytes\":(\\d+)").matcher(gc.output());
        Matcher after = Pattern.compile("\"after\":\\{\"storedBytes\":(\\d+)").matcher(gc.output());
        assertTrue(before.find() && after.find(), gc.toString());
        Commands.Result fsck = hyperfile("fsck", VOLUME);
        assertEquals(0, fsck.exitCode(), seedMessage + ": " + fsck);
        return "hyperfile gc on the stopped volume: stored " + before.group(1) + " → " + after.group(1) + ", fsck clean";
    }

    /** Every file's SHA-256, then unmount and {@code e2fsck -fn} (clean). Leaves the file system unmounted. */
    private void verifyAndCheck(Map<String, String> files) throws IOException, InterruptedException {
        assertEquals(List.of(), FileTree.mismatches(stack.mount.root(), files), seedMessage);
        stack.mount.unmount();
        FileSystemTools.fsck("ext4", stack.disk.file());
    }

    /** Server, nbdfuse and the mounted file system (made first if {@code format}). */
    private Stack start(boolean format) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(storeEnvironment());
        String tool = System.getenv("JAVA_TOOL_OPTIONS");
        env.put("JAVA_TOOL_OPTIONS", (tool == null || tool.isBlank() ? "" : tool + " ") + GcLog.LOG_GC_STEPS);
        List<String> args = new ArrayList<>(storeArgs());
        args.addAll(serveOptions());
        args.addAll(GC_OPTIONS);
        args.add(VOLUME);
        Stack s = new Stack(ServerProcess.start(dir, env, args.toArray(String[]::new)));
        try {
            s.log = new GcLog(s.server.log(), VOLUME);
            logs.add(s.log);
            s.disk = FuseDisk.start(dir, s.server.port(), VOLUME);
            if (format) {
                FileSystemTools.mkfs("ext4", s.disk.file());
            }
            s.mount = LoopMount.mount(s.disk.file(), dir.resolve("mnt"));
            return s;
        } catch (IOException | InterruptedException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private Commands.Result hyperfile(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(storeArgs());
        return Commands.hyperfile(dir, storeEnvironment(), all.toArray(String[]::new));
    }

    private static long field(Commands.Result r, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(r.output());
        assertTrue(m.find(), "no " + name + " in: " + r);
        return Long.parseLong(m.group(1));
    }

    /** One server with its nbdfuse disk and mount; {@link #close} ends what is still running, never throws. */
    private static final class Stack implements AutoCloseable {
        final ServerProcess server;
        GcLog log;
        FuseDisk disk;
        LoopMount mount;

        Stack(ServerProcess server) {
            this.server = server;
        }

        @Override
        public void close() throws InterruptedException {
            if (mount != null) {
                mount.close();
            }
            if (disk != null) {
                disk.close();
            }
            server.close();
            if (log != null) {
                try {
                    log.close();
                } catch (IOException e) {
                    // the watch service only: nothing to clean up
                }
            }
        }
    }
}
