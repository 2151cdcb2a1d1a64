package io.hyperfile.cli;

import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.BlockStatusRun;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile export VOLUME IMAGE}: writes a volume to a raw image file. Holes and zero extents are not
 * written, so the file is sparse where the volume is.
 */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Copy a volume into a raw disk image (sparse).")
final class ExportCommand implements Callable<Integer> {
    private static final long STATUS_SPAN = 1L << 30;
    private static final int READ = 4 << 20;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "VOLUME")
    String volume;
    @Parameters(index = "1", paramLabel = "IMAGE")
    Path image;

    @Override
    public Integer call() throws IOException {
        VolumeCatalog.checkName(volume);
        try (ObjectStore s = store.open()) {
            VolumeCatalog catalog = new VolumeCatalog(s);
            store.requireVolume(catalog, volume);
            Volume v = catalog.openNewestReadOnly(volume, VolumeConfig.DEFAULT).join();
            try (FileChannel out = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                long size = v.sizeBytes();
                Progress progress = new Progress(spec.commandLine().getErr(), "exporting " + volume, "bytes", size);
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
            } finally {
                v.close().join();
            }
            spec.commandLine().getOut().println("exported " + volume + " to " + image);
        }
        return 0;
    }
}
