package io.hyperfile.cli.it;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/**
 * An NBD export as a local file through {@code nbdfuse MOUNTPOINT/disk nbd://127.0.0.1:PORT/EXPORT} (with its
 * default multi-conn, so FLUSH on one connection must cover writes made on another). {@link #start} returns when
 * nbdfuse has written its pid file, which it does once it serves; the wait is on inotify, not on a timer.
 * {@link #unmount} runs {@code fusermount3 -u}, which makes nbdfuse exit; {@link #close} does the same if still
 * needed and never throws, for finally blocks.
 */
final class FuseDisk implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 60;

    private final Process process;
    private final Path mountpoint;
    private final Path log;
    private boolean mounted = true;

    private FuseDisk(Process process, Path mountpoint, Path log) {
        this.process = process;
        this.mountpoint = mountpoint;
        this.log = log;
    }

    static FuseDisk start(Path workDir, int port, String export) throws IOException, InterruptedException {
        Path mountpoint = Files.createDirectories(workDir.resolve("fuse"));
        Path run = Files.createDirectories(workDir.resolve("fuse-run"));
        Path pidFile = run.resolve("nbdfuse.pid");
        Files.deleteIfExists(pidFile);
        Path log = workDir.resolve("nbdfuse-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder("nbdfuse", "-P", pidFile.toString(), mountpoint.resolve("disk").toString(),
                "nbd://127.0.0.1:" + port + "/" + export)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        FuseDisk disk = new FuseDisk(p, mountpoint, log);
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            run.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (!(Files.exists(pidFile) && Files.size(pidFile) > 0)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    disk.close();
                    throw new IOException("nbdfuse did not start (" + (p.isAlive() ? "timeout" : "exit " + p.exitValue())
                            + "):\n" + ServerProcess.tail(log));
                }
                WatchKey key = watch.poll(1, TimeUnit.SECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            disk.close();
            throw e;
        }
        if (!Files.exists(disk.file())) {
            disk.close();
            throw new IOException("nbdfuse runs but " + disk.file() + " does not exist:\n" + ServerProcess.tail(log));
        }
        return disk;
    }

    /** The virtual file holding the export. */
    Path file() {
        return mountpoint.resolve("disk");
    }

    String logTail() {
        return ServerProcess.tail(log);
    }

    /** {@code fusermount3 -u}, then nbdfuse's exit code. */
    int unmount() throws IOException, InterruptedException {
        if (mounted) {
            Commands.run(TIMEOUT_SECONDS, "fusermount3", "-u", mountpoint.toString()).orThrow();
            mounted = false;
        }
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IOException("nbdfuse did not exit within " + TIMEOUT_SECONDS + " s of fusermount3 -u");
        }
        return process.exitValue();
    }

    /** Unmounts (lazily if a plain unmount fails) and makes sure nbdfuse is gone. Never throws. */
    @Override
    public void close() {
        try {
            if (mounted && Commands.run(TIMEOUT_SECONDS, "fusermount3", "-u", mountpoint.toString()).exitCode() != 0) {
                Commands.run(TIMEOUT_SECONDS, "fusermount3", "-uz", mountpoint.toString());
            }
            mounted = false;
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
