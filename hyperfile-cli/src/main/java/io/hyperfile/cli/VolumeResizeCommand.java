package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.core.volume.VolumeResizer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume resize NAME SIZE [--allow-shrink] [--force]} (docs/RESIZE.md): grows or shrinks a volume
 * that no server holds, in one durable checkpoint. A shrink discards everything beyond the new end and is refused
 * without {@code --allow-shrink}; a volume with a fresh lease is refused without {@code --force}, like
 * {@code import}. Bad sizes: usage error (exit 2); a refused shrink or a served volume: one line, exit 1.
 */
@Command(name = "resize", mixinStandardHelpOptions = true,
        description = {"Grow or shrink a volume (durable when it returns). Connected NBD clients see the new size when"
                + " they reconnect.",
                "Shrinking discards the data beyond the new end and needs --allow-shrink.",
                "Refuses a volume that a running server holds (a fresh lease, docs/SERVING.md) unless --force."})
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
            LeaseGuard.requireNotServed(s, name, "resize it (the server would be fenced)", force, CliClock.clock(),
                    spec.commandLine().getErr());
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
