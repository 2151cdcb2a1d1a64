package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the file-system ITs need from the machine (root, FUSE, loop devices, the tools) and the mkfs and fsck they run on
 * an export's {@link FuseDisk} file. Stateless.
 */
final class FileSystemTools {
    /** Every tool the file-system ITs run (Debian packages libnbd-bin, fuse3, e2fsprogs, xfsprogs, util-linux). */
    private static final List<String> TOOLS = List.of("nbdfuse", "fusermount3", "mount", "umount", "sync", "mkfs.ext4",
            "e2fsck", "mkfs.xfs", "xfs_repair", "fstrim", "fallocate");

    private FileSystemTools() {
    }

    /** Skips the test (JUnit assumption) unless it runs as root with the tools, {@code /dev/fuse} and loop devices. */
    static void assumeAvailable() throws IOException, InterruptedException {
        List<String> missing = Commands.missing(TOOLS.toArray(String[]::new));
        assumeTrue(missing.isEmpty(), "not on the PATH: " + String.join(", ", missing)
                + " (Debian packages libnbd-bin, fuse3, e2fsprogs, xfsprogs, util-linux)");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse (FUSE)");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no loop devices (/dev/loop-control)");
        String uid = Commands.run(10, "id", "-u").output().trim();
        assumeTrue(uid.equals("0"), "mount needs root, this is uid " + uid);
    }

    /** mkfs.ext4 or mkfs.xfs on {@code image} (its discard of the whole device included). */
    static void mkfs(String fsType, Path image) throws IOException, InterruptedException {
        List<String> cmd = fsType.equals("xfs") ? List.of("mkfs.xfs", "-f", "-q", image.toString())
                : List.of("mkfs.ext4", "-F", "-q", image.toString());
        Commands.run(300, null, cmd).orThrow();
    }

    /** e2fsck -fn or xfs_repair -n: both exit 0 only for a clean file system; asserts that. */
    static void fsck(String fsType, Path image) throws IOException, InterruptedException {
        List<String> cmd = fsType.equals("xfs") ? List.of("xfs_repair", "-n", image.toString())
                : List.of("e2fsck", "-fn", image.toString());
        Commands.Result r = Commands.run(300, null, cmd);
        assertEquals(0, r.exitCode(), r.toString());
    }

    /** {@code fstrim -v MOUNTPOINT}: discards the free space of a mounted file system; returns what it printed. */
    static String fstrim(Path mountpoint) throws IOException, InterruptedException {
        return Commands.run(300, "fstrim", "-v", mountpoint.toString()).orThrow().output().trim();
    }
}
