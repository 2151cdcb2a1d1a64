package io.hyperfile.cli;

import io.hyperfile.core.diff.DiffImport;
import io.hyperfile.core.diff.DiffReader;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile import-diff FILE|- VOLUME}: applies a diff file to VOLUME (created if missing, for a full diff),
 * under the rule of docs/DIFF.md: an incremental diff only onto the checkpoint it was taken from. Ends with a flush
 * (durable) and records in the volume which source checkpoint it now equals.
 */
@Command(name = "import-diff", mixinStandardHelpOptions = true,
        description = "Apply an incremental backup file (- for stdin) to VOLUME; refuses a diff whose base is not what"
                + " VOLUME holds.")
final class ImportDiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "FILE|-")
    String file;
    @Parameters(index = "1", paramLabel = "VOLUME")
    String volume;
    @Option(names = "--force", description = "Apply a full diff over a non-empty volume (its content is replaced), or an"
            + " incremental one to a volume changed since its last import (only safe if garbage collection did it); also"
            + " imports into a volume a server holds (the server is fenced).")
    boolean force;
    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        VolumeCatalog.checkName(volume);
        String prefix = volume + "/";
        try (InputStream in = new BufferedInputStream("-".equals(file) ? System.in : Files.newInputStream(Path.of(file)), 1 << 20);
                ObjectStore s = store.open()) {
            DiffReader reader = new DiffReader(in, "-".equals(file) ? "stdin" : file);
            VolumeCatalog catalog = new VolumeCatalog(s);
            if (!catalog.exists(volume).join()) {
                if (!reader.header().isFull()) {
                    throw new IllegalStateException("no volume named " + volume + ": an incremental diff (base seq "
                            + reader.header().baseSeq() + ") applies only to a copy made from earlier diffs");
                }
                catalog.create(volume, VolumeOptions.ofSize(reader.header().targetSizeBytes())
                        .withBlockSizeBytes(reader.header().blockSizeBytes()), CliClock.clock()).join();
            } else {
                LeaseGuard.requireNotServed(s, volume, "import a diff into it (the server would be fenced)", force,
                        CliClock.clock(), spec.commandLine().getErr());
            }
            DiffImport.Plan plan = DiffImport.check(s, prefix, reader.header(), force);
            if (plan.alreadyAtTarget()) {
                spec.commandLine().getOut().println(volume + " already equals " + reader.header().volumeId() + " seq "
                        + reader.header().targetSeq() + ": nothing to do");
                return 0;
            }
            Progress progress = quiet ? null : new Progress(spec.commandLine().getErr(), "import-diff " + file, "bytes",
                    reader.header().targetSizeBytes());
            Volume v = catalog.open(volume, VolumeConfig.DEFAULT).join();
            DiffImport.Summary summary;
            try {
                summary = DiffImport.apply(s, prefix, v, reader, plan, CliClock.clock(), done -> {
                    if (progress != null) {
                        progress.update(done);
                    }
                });
                v.close().join();
            } finally {
                v.abort();
            }
            if (progress != null) {
                progress.done(summary.dataBytes() + summary.zeroBytes());
            }
            spec.commandLine().getOut().println("applied " + reader.header() + " to " + volume + ": " + summary.records()
                    + " records, " + Sizes.format(summary.dataBytes()) + " data, " + Sizes.format(summary.zeroBytes())
                    + " zero; durable at seq " + summary.destSeq());
        }
        return 0;
    }
}
