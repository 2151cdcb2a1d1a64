package io.hyperfile.cli;

import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hyperfile volume du NAME [--json]}: where the volume's stored bytes go (docs/GC.md, "Space accounting").
 * Exit 0; 3 when a referenced object is missing or unreadable (each printed; the figures then undercount live bytes).
 * Reads only.
 */
@Command(name = "du", mixinStandardHelpOptions = true,
        description = "Show a volume's logical size, live, stored and garbage bytes. Reads the whole index of every retained"
                + " checkpoint. Exit 0; 3: a referenced object is missing.")
final class VolumeDuCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(paramLabel = "NAME")
    String name;
    @Option(names = "--json", description = "Print one JSON object (exact bytes only).")
    boolean json;

    @Override
    public Integer call() {
        SpaceReport r;
        try (ObjectStore s = store.open()) {
            store.requireVolume(new VolumeCatalog(s), name);
            r = SpaceAccounting.measure(s, name + "/").join();
        }
        PrintWriter out = spec.commandLine().getOut();
        r.problems().forEach(p -> spec.commandLine().getErr().println("problem: " + p.message()));
        if (json) {
            out.println(json(name, r));
        } else {
            print(name, r, out);
        }
        return r.isComplete() ? 0 : FsckCommand.EXIT_PROBLEMS;
    }

    static void print(String name, SpaceReport r, PrintWriter out) {
        out.println("volume:          " + name);
        out.println("logical size:    " + bytes(r.logicalSizeBytes()));
        out.println("mapped:          " + bytes(r.mappedBytes()));
        out.println("live:            " + bytes(r.liveBytes()));
        out.println("stored:          " + bytes(r.storedBytes()) + " in " + r.objectCount() + " objects");
        out.println("garbage:         " + bytes(r.garbageBytes()) + ", " + percent(r.garbageBytes(), r.storedBytes()) + " of stored");
        out.println("amplification:   " + String.format(Locale.ROOT, "%.2fx", r.spaceAmplification()) + " (stored / live)");
        out.println("segments:        " + r.segmentCount() + ", " + r.unreferencedSegments().size() + " unreferenced ("
                + bytes(r.unreferencedBytes()) + ")");
        out.println("checkpoints:     " + r.retainedCheckpoints().stream().map(String::valueOf).collect(Collectors.joining(", "))
                + " (newest and snapshots)");
        if (!r.otherObjects().isEmpty()) {
            out.println("other objects:   " + r.otherObjects().size() + " (not part of the volume; counted as garbage)");
        }
    }

    static String json(String name, SpaceReport r) {
        return "{\"volume\":\"" + name + "\",\"logicalSizeBytes\":" + r.logicalSizeBytes() + ",\"mappedBytes\":" + r.mappedBytes()
                + ",\"liveBytes\":" + r.liveBytes() + ",\"storedBytes\":" + r.storedBytes() + ",\"objects\":" + r.objectCount()
                + ",\"garbageBytes\":" + r.garbageBytes() + ",\"spaceAmplification\":"
                + String.format(Locale.ROOT, "%.4f", r.spaceAmplification()) + ",\"segments\":" + r.segmentCount()
                + ",\"unreferencedSegments\":" + r.unreferencedSegments().toString().replace(" ", "")
                + ",\"unreferencedBytes\":" + r.unreferencedBytes() + ",\"retainedCheckpoints\":"
                + r.retainedCheckpoints().toString().replace(" ", "") + ",\"problems\":" + r.problems().size() + "}";
    }

    static String bytes(long n) {
        return Sizes.format(n) + " (" + n + " bytes)";
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "0 %" : String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }
}
