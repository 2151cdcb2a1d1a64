package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writable clones end to end (docs/CLONES.md): ext4 on volume {@code src} served by {@code hyperfile serve} through
 * {@code nbdfuse} and a loop mount, as {@link AbstractFileSystemIT} runs file systems. Tree A is written and the file
 * system unmounted; snapshot {@code s1} is taken and cloned as {@code c} while the server keeps serving {@code src}. A
 * second server serves the clone: {@code e2fsck -fn} finds it clean, it mounts and holds tree A, and gets tree C while
 * the parent is mounted again and written with tree B at the same time. After both servers stop and one server serves
 * both, each holds only its own writes (the parent A and B, the clone A and C) and checks clean. {@code snapshot delete
 * src s1} is refused while the clone holds it; after {@code volume flatten c} the snapshot and then the parent volume
 * are deleted, and the clone still mounts with A and C and checks clean.
 *
 * <p>Needs what {@link FileSystemTools#assumeAvailable} checks (root, FUSE, loop devices, the tools); skipped
 * otherwise. {@code -Dhyperfile.fs.seed=S} replays the file contents.
 */
class CloneFileSystemIT {
    private static final long SEED = Long.getLong("hyperfile.fs.seed", System.nanoTime());
    private static final long TREE_BYTES = 24L << 20;
    /** Fast background garbage collection, so that the servers collect both volumes while the test runs. */
    private static final List<String> GC_OPTIONS = List.of("--gc-interval", "1s", "--gc-grace", "0");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    private SplittableRandom random;
    private String seedMessage;

    @BeforeEach
    void requireRootAndTools(TestInfo test) throws Exception {
        FileSystemTools.assumeAvailable();
        random = new SplittableRandom(SEED ^ test.getDisplayName().hashCode());
        seedMessage = "seed " + SEED + " (replay: -Dhyperfile.fs.seed=" + SEED + ")";
        System.out.println(getClass().getSimpleName() + " " + test.getDisplayName() + ": " + seedMessage);
    }

    private Commands.Result hyperfile(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", "file:" + dir.resolve("store")));
        return Commands.hyperfile(dir, Map.of(), all.toArray(String[]::new));
    }

    private ServerProcess serve(String... volumes) throws IOException {
        List<String> args = new ArrayList<>(List.of("--store", "file:" + dir.resolve("store")));
        args.addAll(GC_OPTIONS);
        args.addAll(List.of(volumes));
        return ServerProcess.start(dir, Map.of(), args.toArray(String[]::new));
    }

    /** nbdfuse of one export, in a work directory of its own (so that two can run at once). */
    private FuseDisk disk(ServerProcess server, String export) throws IOException, InterruptedException {
        return FuseDisk.start(Files.createDirectories(dir.resolve("disk-" + export)), server.port(), export);
    }

    @Test
    void anExt4CloneMountsCleanWhileItsParentIsWrittenAndEachKeepsItsOwnWrites() throws Exception {
        hyperfile("volume", "create", "src", "--size", "512M").orThrow();
        Map<String, String> treeA;
        Map<String, String> treeB;
        Map<String, String> treeC;
        try (ServerProcess parentServer = serve("src"); FuseDisk parentDisk = disk(parentServer, "src")) {
            FileSystemTools.mkfs("ext4", parentDisk.file());
            try (LoopMount mount = LoopMount.mount(parentDisk.file(), dir.resolve("mnt-src"))) {
                treeA = FileTree.write(mount.root().resolve("a"), TREE_BYTES, random);
                mount.sync();
                mount.unmount();
            }
            // Snapshot and clone while the server serves src; the clone is usable at once.
            hyperfile("snapshot", "create", "src", "s1").orThrow();
            Commands.Result cloned = hyperfile("volume", "clone", "src@s1", "c").orThrow();
            assertTrue(cloned.output().contains("created volume c as a clone of src@s1"), cloned.toString());

            SplittableRandom parentRandom = random.split();
            try (LoopMount parentMount = LoopMount.mount(parentDisk.file(), dir.resolve("mnt-src"));
                    ServerProcess cloneServer = serve("c"); FuseDisk cloneDisk = disk(cloneServer, "c")) {
                CompletableFuture<Map<String, String>> parentWrites = CompletableFuture.supplyAsync(() -> {
                    try {
                        return FileTree.write(parentMount.root().resolve("b"), TREE_BYTES, parentRandom);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                FileSystemTools.fsck("ext4", cloneDisk.file());
                try (LoopMount cloneMount = LoopMount.mount(cloneDisk.file(), dir.resolve("mnt-c"))) {
                    assertEquals(List.of(), FileTree.mismatches(cloneMount.root().resolve("a"), treeA), seedMessage);
                    treeC = FileTree.write(cloneMount.root().resolve("c"), TREE_BYTES, random);
                    cloneMount.sync();
                    assertFalse(Files.exists(cloneMount.root().resolve("b")), "the parent's new files are not in the clone");
                    cloneMount.unmount();
                }
                FileSystemTools.fsck("ext4", cloneDisk.file());
                treeB = parentWrites.join();
                parentMount.sync();
                assertFalse(Files.exists(parentMount.root().resolve("c")), "the clone's files are not in the parent");
                parentMount.unmount();
                assertEquals(0, cloneDisk.unmount(), "nbdfuse exit code; log:\n" + cloneDisk.logTail());
                assertEquals(0, cloneServer.terminate(120), "clone server exit code; log:\n" + cloneServer.logTail());
            }
            FileSystemTools.fsck("ext4", parentDisk.file());
            assertEquals(0, parentDisk.unmount(), "nbdfuse exit code; log:\n" + parentDisk.logTail());
            assertEquals(0, parentServer.terminate(120), "parent server exit code; log:\n" + parentServer.logTail());
        }

        // One server for both after the restart: each holds only its own writes.
        try (ServerProcess server = serve("src", "c")) {
            check(server, "src", "a", treeA, "b", treeB, "c");
            check(server, "c", "a", treeA, "c", treeC, "b");
            Commands.Result held = hyperfile("snapshot", "delete", "src", "s1");
            assertEquals(1, held.exitCode(), held.toString());
            assertTrue(held.output().contains("held by clones that read it: c"), held.toString());
            assertEquals(0, server.terminate(120), "server exit code; log:\n" + server.logTail());
        }
        assertEquals(0, hyperfile("fsck", "c").exitCode());

        Commands.Result flat = hyperfile("volume", "flatten", "c").orThrow();
        assertTrue(flat.output().contains("flattened volume c"), flat.toString());
        hyperfile("snapshot", "delete", "src", "s1").orThrow();
        hyperfile("volume", "delete", "src").orThrow();
        assertEquals(0, hyperfile("fsck", "c").exitCode());
        try (ServerProcess server = serve("c")) {
            check(server, "c", "a", treeA, "c", treeC, "b");
            assertEquals(0, server.terminate(120), "server exit code; log:\n" + server.logTail());
        }
        System.out.printf("  clone: %d + %d files in the parent, %d + %d in the clone, verified after a restart and after"
                + " flatten and the parent's deletion%n", treeA.size(), treeB.size(), treeA.size(), treeC.size());
    }

    /** Mounts {@code export}: trees {@code first} and {@code second} hold their files, {@code absent} does not exist. */
    private void check(ServerProcess server, String export, String first, Map<String, String> firstSums, String second,
            Map<String, String> secondSums, String absent) throws IOException, InterruptedException {
        try (FuseDisk disk = disk(server, export)) {
            try (LoopMount mount = LoopMount.mount(disk.file(), dir.resolve("mnt-" + export))) {
                assertEquals(List.of(), FileTree.mismatches(mount.root().resolve(first), firstSums), export + ": " + seedMessage);
                assertEquals(List.of(), FileTree.mismatches(mount.root().resolve(second), secondSums), export + ": " + seedMessage);
                assertFalse(Files.exists(mount.root().resolve(absent)), export + " holds " + absent);
                mount.unmount();
            }
            FileSystemTools.fsck("ext4", disk.file());
            assertEquals(0, disk.unmount(), "nbdfuse exit code; log:\n" + disk.logTail());
        }
    }
}
