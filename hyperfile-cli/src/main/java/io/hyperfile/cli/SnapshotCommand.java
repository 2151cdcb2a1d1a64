package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.gc.CheckpointPresence;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Clones;
import io.hyperfile.core.volume.VolumeCatalog;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile snapshot create|list|delete}: a snapshot pins a checkpoint of the volume (the newest durable one,
 * or a past one still retained: {@code VOLUME@seq:N}, {@code VOLUME@time:T}, {@code VOLUME@OTHER}) under a name;
 * {@code hyperfile serve} exports it read-only as {@code VOLUME@SNAPSHOT}.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Create, list and delete named snapshots (served read-only as VOLUME@SNAPSHOT).",
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListSnapshots.class, SnapshotCommand.Delete.class})
final class SnapshotCommand {

    abstract static class OnVolume implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        public final Integer call() {
            try (ObjectStore s = store.open()) {
                store.requireVolume(new VolumeCatalog(s), volumeName());
                run(s, volumeName() + "/");
            }
            return 0;
        }

        /** The volume's name ({@code VOLUME} may say more, as in {@code snapshot create VOLUME@seq:N}). */
        String volumeName() {
            return volume;
        }

        abstract void run(ObjectStore s, String prefix);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Pin a checkpoint of VOLUME as SNAPSHOT: the"
            + " newest durable one, or a past one named VOLUME@seq:N, VOLUME@time:ISO-8601 or VOLUME@OTHER-SNAPSHOT.")
    static final class Create extends OnVolume {
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String name;

        @Override
        String volumeName() {
            return CheckpointRef.parse(volume).volume();
        }

        @Override
        void run(ObjectStore s, String prefix) {
            Snapshots.checkName(name);
            CheckpointRef ref = CheckpointRef.parse(volume);
            long seq = ref.resolve(s).join();
            if (!ref.isNewest()) {
                // A past checkpoint may have lost segments to GC: pin it, then check that it is whole (a pass that
                // started before the record was written may still delete; checking after pinning catches that
                // unless that pass deletes after this check, see docs/POINT-IN-TIME.md).
                VolumeDescriptor desc = new VolumeCatalog(s).info(ref.volume()).join().descriptor();
                Snapshots.create(s, prefix, name, seq).join();
                try {
                    CheckpointPresence.verify(s, prefix, desc, seq).join();
                } catch (RuntimeException e) {
                    Snapshots.delete(s, prefix, name).join();
                    throw new IllegalStateException("cannot pin " + ref + ": " + Hyperfile.describe(Exceptions.unwrap(e)));
                }
            } else {
                Snapshots.create(s, prefix, name, seq).join();
            }
            spec.commandLine().getOut().println("created snapshot " + ref.volume() + "@" + name + " at checkpoint " + seq
                    + (ref.isNewest() ? "" : " (" + ref + ")"));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the snapshots of VOLUME.")
    static final class ListSnapshots extends OnVolume {
        @Override
        void run(ObjectStore s, String prefix) {
            for (Map.Entry<String, Long> e : Snapshots.list(s, prefix).join().entrySet()) {
                spec.commandLine().getOut().printf("%s@%s\tcheckpoint %d%n", volume, e.getKey(), e.getValue());
            }
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete snapshot SNAPSHOT of VOLUME.")
    static final class Delete extends OnVolume {
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String name;

        @Override
        void run(ObjectStore s, String prefix) {
            if (s.head(Snapshots.key(prefix, name)).join() == null) {
                throw new IllegalStateException("no snapshot " + volume + "@" + name);
            }
            List<String> clones = Clones.holders(s, volume, name, Snapshots.resolve(s, prefix, name).join()).join();
            if (!clones.isEmpty()) {
                throw new IllegalStateException("snapshot " + volume + "@" + name + " is held by clones that read it: "
                        + String.join(", ", clones) + " (delete or 'hyperfile volume flatten' them first)");
            }
            Snapshots.delete(s, prefix, name).join();
            spec.commandLine().getOut().println("deleted snapshot " + volume + "@" + name);
        }
    }
}
