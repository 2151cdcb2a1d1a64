package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeChecker;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile fsck VOLUME}: exit 0 when clean, 3 when problems were found (each printed with its place). Garbage
 * (objects no retained checkpoint references) is reported with its size, and is not a problem; an object that the
 * newest checkpoint or a snapshot references and that is missing or unreadable is.
 */
@Command(name = "fsck", mixinStandardHelpOptions = true,
        description = "Verify every segment, index node and checksum of a volume. Exit 0: clean; 3: problems found.")
final class FsckCommand implements Callable<Integer> {
    static final int EXIT_PROBLEMS = 3;

    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(paramLabel = "VOLUME")
    String volume;

    @Override
    public Integer call() {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "hf-fsck"));
        try (ObjectStore s = store.open()) {
            store.requireVolume(new VolumeCatalog(s), volume);
            Progress progress = new Progress(spec.commandLine().getErr(), "checking " + volume, "segments");
            VolumeChecker.Report r = VolumeChecker.check(s, volume + "/", executor, progress::update).join();
            progress.done(r.segmentsChecked());
            var out = spec.commandLine().getOut();
            r.problems().forEach(p -> out.println("problem: " + p));
            if (!r.orphans().isEmpty()) {
                out.println("orphans (not a problem): segments " + r.orphans() + " are above the newest complete checkpoint"
                        + " (uploads in flight when a writer stopped); never opened, deleted by gc once the log is claimed above them");
            }
            if (r.space() != null) {
                out.printf("garbage (not a problem): %s in %d unreferenced segments, %s inside live segments; stored %s, live %s%n",
                        VolumeDuCommand.bytes(r.space().unreferencedBytes()), r.space().unreferencedSegments().size(),
                        VolumeDuCommand.bytes(r.space().garbageBytes() - r.space().unreferencedBytes()),
                        VolumeDuCommand.bytes(r.space().storedBytes()), VolumeDuCommand.bytes(r.space().liveBytes()));
            }
            out.printf("%s: %d segments (%s), %d extents checked up to checkpoint %d: %s%n", volume, r.segmentsChecked(),
                    Sizes.format(r.bytesChecked()), r.extentsChecked(), r.newestSeq(),
                    r.isClean() ? "clean" : r.problems().size() + " problems");
            return r.isClean() ? 0 : EXIT_PROBLEMS;
        } finally {
            executor.shutdown();
        }
    }
}
