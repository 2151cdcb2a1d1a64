package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.ResizeRequest;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.core.volume.VolumeResizer;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume resize NAME SIZE [--allow-shrink] [--force] [--wait DURATION | --no-wait]} (docs/RESIZE.md):
 * grows or shrinks a volume that no server holds, in one durable checkpoint. A shrink discards everything beyond the
 * new end and is refused without {@code --allow-shrink}. A volume that a running server holds (a fresh lease) is
 * grown online: this writes the request {@code NAME/resize} ({@link ResizeRequest}), which that server applies at its
 * next export rescan, and waits until the volume's newest checkpoint shows the new size; a shrink of a served volume
 * is refused without {@code --force} (which fences the server). Bad sizes: usage error (exit 2); a refused shrink, a
 * refused served volume or a request still pending at the end of the wait: one line, exit 1.
 */
@Command(name = "resize", mixinStandardHelpOptions = true,
        description = {"Grow or shrink a volume (durable when it returns). Connected NBD clients see the new size when"
                + " they reconnect.",
                "Shrinking discards the data beyond the new end and needs --allow-shrink.",
                "A volume that a running server holds (a fresh lease, docs/SERVING.md) is grown by that server at its next"
                        + " export rescan (serve --rescan-interval, or SIGHUP); shrinking it is refused unless --force."})
final class VolumeResizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "NAME", description = "Volume name.")
    String name;
    @Parameters(index = "1", paramLabel = "SIZE", description = "New size: bytes or 512M, 10G, 1T... (a multiple of the block size).")
    String size;
    @Option(names = "--allow-shrink", description = "Allow a smaller size: everything beyond the new end is discarded for good.")
    boolean allowShrink;
    @Option(names = "--force", description = "Resize even if a server holds the volume: that server is then fenced and stops writing.")
    boolean force;
    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "2m",
            description = "For a served volume: how long to wait for its server to apply the growth, e.g. 30s, 5m (default ${DEFAULT-VALUE}).")
    String waitFor;
    @Option(names = "--no-wait", description = "For a served volume: only write the request; its server applies it at its next rescan.")
    boolean noWait;

    /** Between two looks at the volume's size while waiting for its server. */
    private static final long POLL_MILLIS = 500;

    @Override
    public Integer call() {
        VolumeCatalog.checkName(name);
        long bytes = Sizes.parse(size);
        try (ObjectStore s = store.open()) {
            VolumeCatalog catalog = new VolumeCatalog(s);
            store.requireVolume(catalog, name);
            VolumeCatalog.VolumeInfo info = catalog.info(name).join();
            int blockSize = info.descriptor().blockSizeBytes();
            if (bytes % blockSize != 0) {
                throw new IllegalArgumentException("size " + size + " is not a multiple of the block size " + blockSize
                        + " of volume " + name);
            }
            if (bytes > VolumeOptions.maxSizeBytes(blockSize)) {
                throw new IllegalArgumentException("size " + size + " is too large for blocks of " + blockSize + " bytes: at most "
                        + Sizes.format(VolumeOptions.maxSizeBytes(blockSize)) + " (the index addresses 2^48 blocks)");
            }
            if (bytes == info.sizeBytes()) {
                spec.commandLine().getOut().println("volume " + name + " is already " + describe(bytes) + "; nothing to do");
                return 0;
            }
            requireShrinkAllowed(info.sizeBytes(), bytes);
            Duration wait = Durations.parse("--wait", waitFor);
            Clock clock = CliClock.clock();
            PrintWriter err = spec.commandLine().getErr();
            if (force) {
                LeaseGuard.requireNotServed(s, name, "resize it (the server would be fenced)", true, clock, err);
            } else if (LeaseGuard.isServed(s, name, "resize it", clock, err)) {
                if (bytes < info.sizeBytes()) {
                    throw new IllegalStateException("volume " + name + " is served by a running server, which grows a volume"
                            + " but never shrinks it: stop that server first, or add --force to shrink it anyway (the server would be fenced)");
                }
                return growOnline(s, catalog, info.sizeBytes(), bytes, wait, clock);
            }
            Volume v = catalog.open(name, VolumeConfig.DEFAULT).join();
            long from;
            try {
                from = v.sizeBytes(); // the newest checkpoint, which may be newer than the one info read
                requireShrinkAllowed(from, bytes);
                (bytes < from ? VolumeResizer.shrink(v, bytes) : VolumeResizer.grow(v, bytes)).join();
                v.close().join();
            } finally {
                v.abort();
            }
            spec.commandLine().getOut().println("resized volume " + name + " from " + describe(from) + " to " + describe(bytes)
                    + (bytes < from ? "; the data beyond the new end was discarded" : ""));
        }
        return 0;
    }

    /**
     * Asks the server holding the volume to grow it ({@code NAME/resize}), then, unless {@code --no-wait}, waits until
     * the volume's newest checkpoint shows the new size.
     */
    private int growOnline(ObjectStore s, VolumeCatalog catalog, long from, long bytes, Duration wait, Clock clock) {
        ResizeRequest.write(s, name, new ResizeRequest(from, bytes, clock.millis())).join();
        PrintWriter out = spec.commandLine().getOut();
        if (noWait) {
            out.println("asked the server holding volume " + name + " to grow it from " + describe(from) + " to " + describe(bytes)
                    + " at its next export rescan (request " + ResizeRequest.key(name) + ")");
            return 0;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long now = catalog.info(name).join().sizeBytes();
            if (now != bytes && s.head(ResizeRequest.key(name)).join() == null) {
                now = catalog.info(name).join().sizeBytes(); // applied between the two looks?
                if (now != bytes) {
                    throw new IllegalStateException("the server holding volume " + name + " deleted the request to grow it to "
                            + describe(bytes) + " without applying it (the volume is " + describe(now) + "; see that server's log)");
                }
            }
            if (now == bytes) {
                out.println("resized volume " + name + " from " + describe(from) + " to " + describe(bytes) + " (applied by the"
                        + " server holding it; its NBD clients see the new size when they reconnect)");
                return 0;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("volume " + name + " is still " + describe(now) + " after " + Durations.format(wait)
                        + ": the request to grow it to " + describe(bytes) + " is pending; the server holding it applies it at its"
                        + " next export rescan (serve --rescan-interval, or SIGHUP)");
            }
            try {
                Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the server holding volume " + name
                        + " to grow it; the request is pending");
            }
        }
    }

    private void requireShrinkAllowed(long current, long bytes) {
        if (bytes < current && !allowShrink) {
            throw new IllegalStateException("volume " + name + " is " + describe(current) + "; shrinking it to " + describe(bytes)
                    + " discards everything beyond the new end: add --allow-shrink to do so");
        }
    }

    private static String describe(long bytes) {
        return Sizes.format(bytes) + " (" + bytes + " bytes)";
    }
}
