package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeRollback;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume rollback NAME REF}: makes a snapshot or a retained past checkpoint the volume's current
 * state, as a new checkpoint ({@link VolumeRollback}, docs/POINT-IN-TIME.md "Rollback"); the state before stays
 * readable as {@code NAME@seq:PREVIOUS} while retained, so {@code volume rollback NAME @seq:PREVIOUS} undoes it.
 * Refused while a server holds the volume, unless {@code --force} (that server is then fenced).
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Make a snapshot (SNAP) or a past checkpoint (@seq:N, @time:ISO-8601) the volume's current state,"
                + " as a new checkpoint: undo with rollback NAME @seq:PREVIOUS while that is retained.")
final class VolumeRollbackCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(index = "0", paramLabel = "NAME")
    String name;
    @Parameters(index = "1", paramLabel = "REF", description = "SNAPSHOT, @SNAPSHOT, @seq:N or @time:ISO-8601.")
    String ref;
    @Option(names = "--force", description = "Roll back even if a server holds the volume (a fresh lease): that server is"
            + " then fenced and stops writing.")
    boolean force;

    @Override
    public Integer call() {
        VolumeCatalog.checkName(name);
        CheckpointRef target = CheckpointRef.parse(name + "@" + (ref.startsWith("@") ? ref.substring(1) : ref));
        try (ObjectStore s = store.open()) {
            store.requireVolume(new VolumeCatalog(s), name);
            LeaseGuard.requireNotServed(s, name, "roll it back (the server would be fenced)", force, CliClock.clock(),
                    spec.commandLine().getErr());
            long seq = target.resolve(s).join();
            VolumeRollback.Result r;
            try {
                r = VolumeRollback.rollback(s, target.prefix(), seq, Clock.systemUTC()).join();
            } catch (CompletionException e) {
                if (Exceptions.unwrap(e) instanceof IllegalArgumentException nothing) {
                    throw new IllegalStateException("cannot roll back " + name + " to " + target + ": " + nothing.getMessage());
                }
                throw e;
            }
            spec.commandLine().getOut().println("rolled back " + name + " to " + target + " (checkpoint " + r.targetSeq() + ", "
                    + Sizes.format(r.sizeBytes()) + ") as checkpoint " + r.newSeq() + "; undo: hyperfile volume rollback "
                    + name + " @seq:" + r.previousSeq());
        }
        return 0;
    }
}
