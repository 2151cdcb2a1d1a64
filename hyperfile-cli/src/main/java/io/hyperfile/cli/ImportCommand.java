package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
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
 * {@code hyperfile import IMAGE|- VOLUME}: copies a raw image, or standard input for {@code -}, into a volume. A
 * missing volume is created with {@code --size}, else with the image file's size rounded up to 4 KiB (standard input
 * has no size: {@code --size} is then required). The input is read once, in order, so a pipe works. All-zero blocks
 * are not stored: on a new volume they stay holes, on an existing one they become zero extents; what lies beyond the
 * end of the input is left as it was. Ends with a flush: when it returns, the data is durable. Progress goes to stderr
 * unless {@code --quiet}.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Copy a raw disk image, or standard input (-), into a volume (sparse).")
final class ImportCommand implements Callable<Integer> {
    private static final int CHUNK = 1 << 20;
    private static final int IN_FLIGHT = 8;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image file to read, or - for standard input.")
    String image;
    @Parameters(index = "1", paramLabel = "VOLUME")
    String volume;
    @Option(names = "--size", paramLabel = "SIZE", description = "Size of the volume to create if VOLUME does not exist"
            + " (bytes or 512M, 10G...; default: the image file's size; required for standard input).")
    String size;
    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;
    @Option(names = "--force", description = "Import into an existing volume even if a server holds it (a fresh lease):"
            + " the server is then fenced and stops writing.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        VolumeCatalog.checkName(volume);
        boolean fromStdin = image.equals("-");
        Long createBytes = size == null ? null : Sizes.parse("--size", size);
        try (ReadableByteChannel in = fromStdin ? Channels.newChannel(Stdio.in())
                : FileChannel.open(Path.of(image), StandardOpenOption.READ); ObjectStore s = store.open()) {
            long inputBytes = fromStdin ? -1 : ((FileChannel) in).size();
            VolumeCatalog catalog = new VolumeCatalog(s);
            boolean fresh = !catalog.exists(volume).join();
            if (!fresh) {
                LeaseGuard.requireNotServed(s, volume, "import into it (the server would be fenced)", force, CliClock.clock(),
                        spec.commandLine().getErr());
            }
            if (fresh) {
                if (createBytes == null && fromStdin) {
                    throw new IllegalArgumentException("volume " + volume + " does not exist: importing standard input needs"
                            + " --size to create it");
                }
                long bytes = createBytes != null ? createBytes : inputBytes;
                catalog.create(volume, VolumeOptions.ofSize(Math.max(4096, (bytes + 4095) / 4096 * 4096)), Clock.systemUTC()).join();
            }
            Volume v = catalog.open(volume, VolumeConfig.DEFAULT).join();
            long copied;
            try {
                if (v.sizeBytes() < inputBytes) {
                    throw new IllegalStateException("image " + image + " (" + inputBytes + " bytes) does not fit volume " + volume
                            + " (" + v.sizeBytes() + " bytes)");
                }
                copied = copy(in, inputBytes, v, fresh);
                v.close().join();
            } finally {
                v.abort();
            }
            String what = fromStdin ? "standard input" : image;
            spec.commandLine().getOut().println("imported " + what + " (" + Sizes.format(copied) + ") into " + volume);
        }
        return 0;
    }

    /** Copies {@code in} to its end ({@code total} bytes if known, else -1) into {@code v}; returns the bytes copied. */
    private long copy(ReadableByteChannel in, long total, Volume v, boolean fresh) throws IOException {
        String what = "importing " + (total < 0 ? "standard input" : image);
        Progress progress = new Progress(quiet ? Progress.silent() : spec.commandLine().getErr(), what, "bytes",
                total < 0 ? v.sizeBytes() : total);
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        ByteBuffer zero = ByteBuffer.allocate(4096);
        long off = 0;
        while (true) {
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
            while (chunk.hasRemaining() && in.read(chunk) >= 0) {
                // read until full or at the end
            }
            int len = chunk.position();
            if (len == 0) {
                break;
            }
            if (off + len > v.sizeBytes()) {
                throw new IllegalStateException("the input is larger than volume " + volume + " (" + v.sizeBytes()
                        + " bytes); nothing past that was written");
            }
            chunk.flip();
            writeChunk(v, off, chunk, len, zero, fresh, inFlight);
            while (inFlight.size() > IN_FLIGHT) {
                inFlight.poll().join();
            }
            off += len;
            progress.update(off);
            if (len < CHUNK) {
                break;
            }
        }
        inFlight.forEach(CompletableFuture::join);
        v.flush().join();
        progress.done(off);
        return off;
    }

    /** Writes the non-zero runs of {@code chunk} (and, on an existing volume, zero extents for the zero blocks). */
    private static void writeChunk(Volume v, long off, ByteBuffer chunk, int len, ByteBuffer zero, boolean fresh,
            ArrayDeque<CompletableFuture<Void>> inFlight) {
        int runStart = -1;
        // One step past the last (possibly partial) block ends the run in progress.
        for (int at = 0; at < len + 4096; at += 4096) {
            boolean end = at >= len;
            boolean isZero = !end && chunk.duplicate().position(at).limit(Math.min(len, at + 4096))
                    .mismatch(zero.duplicate().limit(Math.min(4096, len - at))) == -1;
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
    }
}
