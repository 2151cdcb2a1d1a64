package io.hyperfile.cli;

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
 * {@code hyperfile snapshot create|list|delete}: a snapshot pins the volume's newest durable checkpoint under a name;
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
                store.requireVolume(new VolumeCatalog(s), volume);
                run(s, volume + "/");
            }
            return 0;
        }

        abstract void run(ObjectStore s, String prefix);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Pin the newest durable checkpoint of VOLUME as SNAPSHOT.")
    static final class Create extends OnVolume {
        @Parameters(index = "1", paramLabel = "SNAPSHOT")
        String name;

        @Override
        void run(ObjectStore s, String prefix) {
            Snapshots.checkName(name);
            long seq = new VolumeCatalog(s).newestCheckpoint(volume).join();
            Snapshots.create(s, prefix, name, seq).join();
            spec.commandLine().getOut().println("created snapshot " + volume + "@" + name + " at checkpoint " + seq);
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
