package io.hyperfile.cli;

import io.hyperfile.core.diff.DiffExport;
import io.hyperfile.core.store.ObjectStore;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile export-diff VOLUME@A VOLUME@B FILE|-}: writes the diff from checkpoint A to checkpoint B as a
 * diff file (docs/DIFF.md), to FILE (written beside it and renamed when complete) or to stdout.
 */
@Command(name = "export-diff", mixinStandardHelpOptions = true,
        description = "Write the changes from VOLUME@A to VOLUME@B as an incremental backup file (- for stdout);"
                + " VOLUME@seq:0 as A gives a full backup.")
final class ExportDiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "VOLUME@A")
    String from;
    @Parameters(index = "1", paramLabel = "VOLUME@B")
    String to;
    @Parameters(index = "2", paramLabel = "FILE|-")
    String file;
    @Option(names = {"-q", "--quiet"}, description = "No progress or summary on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        try (ObjectStore s = store.open()) {
            DiffRefs refs = DiffRefs.resolve(s, store, from, to);
            Progress progress = quiet ? null : new Progress(spec.commandLine().getErr(), "export-diff " + refs.from() + " "
                    + refs.to(), "bytes");
            DiffExport.Summary summary;
            if ("-".equals(file)) {
                OutputStream out = new BufferedOutputStream(System.out, 1 << 20);
                summary = write(s, refs, out, progress);
                out.flush();
            } else {
                Path target = Path.of(file);
                Path tmp = target.resolveSibling(target.getFileName() + ".part");
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    summary = write(s, refs, out, progress);
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            if (progress != null) {
                progress.done(summary.dataBytes() + summary.zeroBytes());
                spec.commandLine().getErr().println("export-diff: seq " + refs.fromSeq() + " -> " + refs.toSeq() + ": "
                        + summary.records() + " records, " + Sizes.format(summary.dataBytes()) + " data, "
                        + Sizes.format(summary.zeroBytes()) + " zero; " + summary.nodesRead() + " index nodes read");
                spec.commandLine().getErr().flush();
            }
        }
        return 0;
    }

    private static DiffExport.Summary write(ObjectStore s, DiffRefs refs, OutputStream out, Progress progress)
            throws IOException {
        return DiffExport.write(s, refs.prefix(), refs.volume(), refs.fromSeq(), refs.toSeq(), out, CliClock.clock(),
                done -> {
                    if (progress != null) {
                        progress.update(done);
                    }
                });
    }
}
