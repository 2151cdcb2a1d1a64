package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.BlockStatusRun;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile export VOLUME[@SNAP|@seq:N|@time:T] IMAGE|-}: writes a checkpoint of a volume (the newest by
 * default) to a raw image file, or to standard output for {@code -}. The checkpoint is opened read-only, so exporting
 * a served volume does not disturb its server. Into a file, holes and zero extents are not written (the file is sparse
 * where the volume is); a pipe cannot seek, so standard output gets every byte, zeros included. Progress goes to
 * stderr unless {@code --quiet}.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Copy a volume, snapshot or checkpoint into a raw disk image (sparse), or to standard output (-).")
final class ExportCommand implements Callable<Integer> {
    private static final long STATUS_SPAN = 1L << 30;
    private static final int READ = 4 << 20;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "VOLUME", description = "VOLUME (newest), VOLUME@SNAPSHOT, VOLUME@seq:N or VOLUME@time:ISO-8601.")
    String source;
    @Parameters(index = "1", paramLabel = "IMAGE", description = "Image file to write, or - for standard output.")
    String image;
    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        CheckpointRef ref = CheckpointRef.parse(source);
        boolean toStdout = image.equals("-");
        try (ObjectStore s = store.open()) {
            VolumeCatalog catalog = new VolumeCatalog(s);
            store.requireVolume(catalog, ref.volume());
            Volume v = catalog.openReadOnly(ref, VolumeConfig.DEFAULT).join();
            try {
                Progress progress = new Progress(quiet ? Progress.silent() : spec.commandLine().getErr(), "exporting " + ref,
                        "bytes", v.sizeBytes());
                if (toStdout) {
                    toStream(v, Stdio.out(), progress);
                } else {
                    toFile(v, Path.of(image), progress);
                }
            } finally {
                v.close().join();
            }
            PrintWriter say = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
            if (!toStdout || !quiet) {
                say.println("exported " + ref + " to " + (toStdout ? "standard output" : image));
            }
        }
        return 0;
    }

    private static void toFile(Volume v, Path image, Progress progress) throws IOException {
        try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long size = v.sizeBytes();
            for (long span = 0; span < size; span += STATUS_SPAN) {
                for (BlockStatusRun run : v.blockStatus(span, Math.min(STATUS_SPAN, size - span)).join()) {
                    if (run.kind() != ExtentKind.DATA) {
                        continue;
                    }
                    for (long at = run.offset(); at < run.offset() + run.length(); at += READ) {
                        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(READ, run.offset() + run.length() - at));
                        v.read(at, buf).join();
                        while (buf.hasRemaining()) {
                            out.write(buf, at + buf.position());
                        }
                        progress.update(at + buf.limit());
                    }
                }
                progress.update(Math.min(size, span + STATUS_SPAN));
            }
            out.truncate(size);
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
            out.force(true);
            progress.done(size);
        }
    }

    /** Every byte in order: data read from the volume, zeros written for holes and zero extents. */
    private static void toStream(Volume v, OutputStream out, Progress progress) throws IOException {
        long size = v.sizeBytes();
        byte[] zeros = new byte[READ];
        for (long span = 0; span < size; span += STATUS_SPAN) {
            for (BlockStatusRun run : v.blockStatus(span, Math.min(STATUS_SPAN, size - span)).join()) {
                for (long at = run.offset(); at < run.offset() + run.length(); at += READ) {
                    int n = (int) Math.min(READ, run.offset() + run.length() - at);
                    if (run.kind() == ExtentKind.DATA) {
                        ByteBuffer buf = ByteBuffer.allocate(n);
                        v.read(at, buf).join();
                        out.write(buf.array(), 0, n);
                    } else {
                        out.write(zeros, 0, n);
                    }
                    progress.update(at + n);
                }
            }
        }
        out.flush();
        progress.done(size);
    }
}
