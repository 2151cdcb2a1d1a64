package io.hyperfile.cli.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file system image mounted with {@code mount -o loop} (the loop device is released on unmount). {@link #close}
 * unmounts if still needed, lazily if a plain unmount fails, and never throws, for finally blocks.
 */
final class LoopMount implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 120;

    private final Path mountpoint;
    private boolean mounted = true;

    private LoopMount(Path mountpoint) {
        this.mountpoint = mountpoint;
    }

    static LoopMount mount(Path image, Path mountpoint) throws IOException, InterruptedException {
        Files.createDirectories(mountpoint);
        Commands.run(TIMEOUT_SECONDS, "mount", "-o", "loop", image.toString(), mountpoint.toString()).orThrow();
        return new LoopMount(mountpoint);
    }

    Path root() {
        return mountpoint;
    }

    /** {@code sync -f}: writes back everything of this file system, waiting for its FLUSH. */
    void sync() throws IOException, InterruptedException {
        Commands.run(TIMEOUT_SECONDS, "sync", "-f", mountpoint.toString()).orThrow();
    }

    /** {@code umount}; throws if it fails. */
    void unmount() throws IOException, InterruptedException {
        Commands.run(TIMEOUT_SECONDS, "umount", mountpoint.toString()).orThrow();
        mounted = false;
    }

    @Override
    public void close() {
        if (!mounted) {
            return;
        }
        try {
            if (Commands.run(TIMEOUT_SECONDS, "umount", mountpoint.toString()).exitCode() != 0) {
                Commands.run(TIMEOUT_SECONDS, "umount", "-l", mountpoint.toString());
            }
        } catch (IOException e) {
            // best effort: a failed cleanup must not hide the test's own failure
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        mounted = false;
    }
}
