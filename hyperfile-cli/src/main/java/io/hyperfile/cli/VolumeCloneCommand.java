package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectExistsException;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume clone SRC@SNAP NEW}: a writable clone of a snapshot, usable at once, sharing the parent's
 * segments (docs/CLONES.md). Writes two objects whatever the volume's size.
 */
@Command(name = "clone", mixinStandardHelpOptions = true,
        description = {"Create volume NEW as a writable clone of snapshot SNAP of volume SRC: nothing is copied, the clone",
                "shares SRC's segments and writes its own (docs/CLONES.md). The snapshot cannot be deleted while the clone",
                "reads it; 'hyperfile volume flatten NEW' ends that."})
final class VolumeCloneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "SRC@SNAP", description = "The snapshot to clone.")
    String source;
    @Parameters(index = "1", paramLabel = "NEW", description = "The new volume's name.")
    String name;

    @Override
    public Integer call() {
        int at = source.indexOf('@');
        if (at <= 0 || at == source.length() - 1) {
            throw new IllegalArgumentException("the source must be SRC@SNAPSHOT, not '" + source + "'");
        }
        String parent = VolumeCatalog.checkName(source.substring(0, at));
        String snapshot = source.substring(at + 1);
        VolumeCatalog.checkName(name);
        VolumeDescriptor d;
        try (ObjectStore s = store.open()) {
            d = new VolumeCatalog(s).createClone(parent, snapshot, name, CliClock.clock()).join();
        } catch (CompletionException e) {
            if (Exceptions.unwrap(e) instanceof ObjectExistsException) {
                throw new IllegalStateException("volume " + name + " exists");
            }
            throw e;
        }
        spec.commandLine().getOut().println("created volume " + name + " as a clone of " + parent + "@" + snapshot
                + " (checkpoint " + d.origin().baseSeq() + ")");
        return 0;
    }
}
