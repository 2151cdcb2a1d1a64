package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile import IMAGE VOLUME}: copies a raw image into a volume (created with the image's size, rounded up
 * to 4 KiB, if it does not exist). All-zero blocks are not stored: on a new volume they stay holes, on an existing
 * one they become zero extents. Ends with a flush: when it returns, the data is durable.
 */
@Command(name = "import", mixinStandardHelpOptions = true, description = "Copy a raw disk image into a volume (sparse).")
final class ImportCommand implements Callable<Integer> {
    private static final int CHUNK = 1 << 20;
    private static final int IN_FLIGHT = 8;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;
    @Parameters(index = "1", paramLabel = "VOLUME")
    String volume;
    @Option(names = "--force", description = "Import into an existing volume even if a server holds it (a fresh lease):"
            + " the server is then fenced and stops writing.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        VolumeCatalog.checkName(volume);
        try (FileChannel in = FileChannel.open(image, StandardOpenOption.READ); ObjectStore s = store.open()) {
            long size = in.size();
            VolumeCatalog catalog = new VolumeCatalog(s);
            boolean fresh = !catalog.exists(volume).join();
            if (!fresh) {
                LeaseGuard.requireNotServed(s, volume, "import into it (the server would be fenced)", force, CliClock.clock(),
                        spec.commandLine().getErr());
            }
            if (fresh) {
                catalog.create(volume, VolumeOptions.ofSize(Math.max(4096, (size + 4095) / 4096 * 4096)), Clock.systemUTC()).join();
            }
            Volume v = catalog.open(volume, VolumeConfig.DEFAULT).join();
            try {
                if (v.sizeBytes() < size) {
                    throw new IllegalStateException("image " + image + " (" + size + " bytes) does not fit volume " + volume
                            + " (" + v.sizeBytes() + " bytes)");
                }
                copy(in, size, v, fresh);
                v.close().join();
            } finally {
                v.abort();
            }
            spec.commandLine().getOut().println("imported " + image + " (" + Sizes.format(size) + ") into " + volume);
        }
        return 0;
    }

    private void copy(FileChannel in, long size, Volume v, boolean fresh) throws IOException {
        Progress progress = new Progress(spec.commandLine().getErr(), "importing " + image, "bytes", size);
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        ByteBuffer zero = ByteBuffer.allocate(4096);
        for (long off = 0; off < size; off += CHUNK) {
            int len = (int) Math.min(CHUNK, size - off);
            ByteBuffer chunk = ByteBuffer.allocate(len);
            while (chunk.hasRemaining() && in.read(chunk, off + chunk.position()) >= 0) {
                // read until full
            }
            chunk.flip();
            int runStart = -1;
            for (int at = 0; at <= len; at += 4096) {
                boolean isZero = at < len && chunk.duplicate().position(at).limit(Math.min(len, at + 4096))
                        .mismatch(zero.duplicate().limit(Math.min(4096, len - at))) == -1;
                boolean end = at >= len;
                if (!end && !isZero && runStart < 0) {
                    runStart = at;
                } else if ((end || isZero) && runStart >= 0) {
                    inFlight.add(v.write(off + runStart, chunk.duplicate().position(runStart).limit(Math.min(len, at))));
                    runStart = -1;
                }
                if (!end && isZero && !fresh) {
                    inFlight.add(v.writeZeroes(off + at, Math.min(4096, len - at)));
                }
            }
            while (inFlight.size() > IN_FLIGHT) {
                inFlight.poll().join();
            }
            progress.update(off + len);
        }
        inFlight.forEach(CompletableFuture::join);
        v.flush().join();
        progress.done(size);
    }
}
