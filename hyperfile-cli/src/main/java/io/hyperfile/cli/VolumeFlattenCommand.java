package io.hyperfile.cli;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.CloneFlatten;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume flatten NAME}: copies what a clone still reads of its parent into its own segments and ends
 * the link, so that the parent's snapshot, and the parent, can be deleted (docs/CLONES.md, "Flatten"). Safe to
 * interrupt; run it again to finish.
 */
@Command(name = "flatten", mixinStandardHelpOptions = true,
        description = {"Copy what clone NAME still shares with its parent into its own segments and end the link",
                "(docs/CLONES.md). Refuses a clone that a running server holds unless --force; safe to interrupt and rerun."})
final class VolumeFlattenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(paramLabel = "NAME")
    String name;
    @Option(names = "--force", description = "Flatten even if a server holds the volume (the server is then fenced).")
    boolean force;

    @Override
    public Integer call() {
        CloneFlatten.Result r;
        try (ObjectStore s = store.open()) {
            store.requireVolume(new VolumeCatalog(s), name);
            LeaseGuard.requireNotServed(s, name, "flatten it (the server would be fenced)", force, CliClock.clock(),
                    spec.commandLine().getErr());
            r = CloneFlatten.flatten(s, name, VolumeConfig.DEFAULT, line -> spec.commandLine().getErr().println(line)).join();
        }
        spec.commandLine().getOut().println(r.alreadyFlat() ? "volume " + name + " was flattened already; its link is gone"
                : "flattened volume " + name + ": copied " + r.blocksCopied() + " blocks and " + r.pathsRewritten()
                        + " index paths; it no longer reads its parent");
        return 0;
    }
}
