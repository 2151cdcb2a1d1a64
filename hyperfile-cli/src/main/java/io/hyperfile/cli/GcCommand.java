package io.hyperfile.cli;

import io.hyperfile.cli.logging.JsonLines;
import io.hyperfile.core.gc.GarbageCollector;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import java.io.PrintWriter;
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
 * {@code hyperfile gc NAME}: garbage collection of one volume that is not being served (docs/GC.md). It opens the
 * volume for writing, which claims it (a server still serving it is fenced and stops writing), runs up to
 * {@code --passes} passes ({@link GarbageCollector}), printing progress on stderr and each pass's summary on stdout,
 * closes the volume, then prints stored, live and garbage bytes before and after. {@code --dry-run} opens a
 * read-only view instead (it writes nothing and may run beside a server) and runs one pass that only plans.
 *
 * <p>Exit 0; 1 when the volume is missing or a pass fails; 2 for bad arguments; 3 when a referenced object is
 * missing or unreadable (the pass then deletes and moves nothing: run {@code hyperfile fsck}).
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Delete the segments of a volume that nothing references, and compact mostly-dead ones.",
                "Opens the volume for writing: do not run it while a server serves the volume (the server would be fenced);"
                        + " --dry-run only reads and may. Exit 0; 1: failed; 2: bad arguments; 3: a referenced object is missing."})
final class GcCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    StoreOptions store;
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "1h",
            description = "Delete only what a checkpoint stored at least this long ago no longer references, so readers of"
                    + " older checkpoints keep their data this long: 0, 30s, 10m, 1h... (default ${DEFAULT-VALUE}).")
    String grace;
    @Option(names = "--compact-below", paramLabel = "FRACTION", defaultValue = "0.5",
            description = "Compact segments whose live bytes are below this fraction of their size; 0: only delete"
                    + " (default ${DEFAULT-VALUE}).")
    double compactBelow;
    @Option(names = "--min-garbage", paramLabel = "FRACTION", defaultValue = "0.2",
            description = "Compact only while garbage is at least this fraction of the stored bytes (default ${DEFAULT-VALUE}).")
    double minGarbage;
    @Option(names = "--max-move", paramLabel = "SIZE", defaultValue = "1G",
            description = "Live bytes one pass moves at most (default ${DEFAULT-VALUE}).")
    String maxMove;
    @Option(names = "--rate", paramLabel = "SIZE", defaultValue = "0",
            description = "Bytes per second a pass reads to move, e.g. 32M; 0: no limit (default ${DEFAULT-VALUE}).")
    String rate;
    @Option(names = "--requests", paramLabel = "N", defaultValue = "0",
            description = "Store requests per second a pass makes at most (walk, moves, deletes); 0: no limit"
                    + " (default ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "--passes", paramLabel = "N", defaultValue = "2",
            description = "Passes to run at most; with --grace 0 the second deletes what the first compacted"
                    + " (default ${DEFAULT-VALUE}). Stops early after a pass that neither deletes nor compacts.")
    int passes;
    @Option(names = "--dry-run", description = "Run one pass that only plans: read-only, deletes and writes nothing.")
    boolean dryRun;
    @Option(names = "--check", description = "Walk the index in the first pass and check the stored live table against"
            + " the walk (passes otherwise plan from the table).")
    boolean check;
    @Option(names = "--force", description = "Run even if a server holds the volume (a fresh lease): the server is then fenced"
            + " and stops writing.")
    boolean force;
    @Option(names = "--json", description = "Print the last pass's figures, with the space before and after, as one JSON"
            + " object (progress and summaries go to stderr).")
    boolean json;

    @Override
    public Integer call() {
        GcConfig config = config();
        VolumeCatalog.checkName(name);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter summaries = json ? err : out;
        int total = dryRun ? 1 : passes;
        String prefix = name + "/";
        try (ObjectStore s = store.open()) {
            VolumeCatalog catalog = new VolumeCatalog(s);
            store.requireVolume(catalog, name);
            if (!dryRun) {
                LeaseGuard.requireNotServed(s, name, "collect it (the server would be fenced)", force, CliClock.clock(), err);
            }
            Volume v = (dryRun ? catalog.openNewestReadOnly(name, VolumeConfig.DEFAULT) : catalog.open(name, VolumeConfig.DEFAULT)).join();
            GcPassReport first = null;
            GcPassReport last = null;
            try {
                GarbageCollector gc = new GarbageCollector(s, prefix, v, config, Clock.systemUTC(), RetryScheduler.system());
                if (check) {
                    gc.requestCheck();
                }
                for (int i = 1; i <= total; i++) {
                    last = pass(gc, i, total, err);
                    first = first == null ? last : first;
                    last.tableDifferences().forEach(d -> err.println("warning: the live table disagrees with the walk: " + d));
                    summaries.println("pass " + i + "/" + total + ": " + last.summary());
                    summaries.flush();
                    if (!last.before().isComplete() || last.deletedSegments().isEmpty() && last.victims().isEmpty()) {
                        break;
                    }
                }
                v.close().join();
            } finally {
                v.abort();
            }
            last.before().problems().forEach(p -> err.println("problem: " + p.message()));
            SpaceReport before = first.before();
            SpaceReport after = dryRun ? null : SpaceAccounting.measure(s, prefix).join();
            if (json) {
                out.println(json(name, last, before, after));
            } else {
                out.println((dryRun ? "now:    " : "before: ") + space(before));
                if (after != null) {
                    out.println("after:  " + space(after));
                }
            }
            return last.before().isComplete() ? 0 : FsckCommand.EXIT_PROBLEMS;
        }
    }

    private GcPassReport pass(GarbageCollector gc, int i, int total, PrintWriter err) {
        try {
            return gc.runPass(dryRun, line -> {
                err.println("gc " + name + " pass " + i + "/" + total + ": " + line);
                err.flush();
            }).join();
        } catch (CompletionException e) {
            Throwable cause = Exceptions.unwrap(e);
            throw new IllegalStateException("gc pass " + i + " of volume " + name + " failed: " + Hyperfile.describe(cause), cause);
        }
    }

    /** The settings from the options; {@link IllegalArgumentException} with one line for a bad value. */
    GcConfig config() {
        if (passes < 1) {
            throw new IllegalArgumentException("invalid --passes " + passes + ": must be at least 1");
        }
        return GcConfig.DEFAULT.withGrace(Durations.parse("--grace", grace))
                .withCompactBelow(fraction("--compact-below", compactBelow))
                .withMinGarbageRatio(fraction("--min-garbage", minGarbage))
                .withMaxRelocateBytes(Sizes.parse("--max-move", maxMove))
                .withRateBytesPerSecond(Sizes.parseRate("--rate", rate))
                .withRateRequestsPerSecond(requestRate("--requests", requests));
    }

    /** A requests-per-second limit: 0 (none) or positive. */
    static int requestRate(String option, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("invalid " + option + " " + value + ": use 0 (no limit) or a positive number");
        }
        return value;
    }

    /** {@code value} if it is a fraction in [0, 1]; else an {@link IllegalArgumentException} naming {@code option}. */
    static double fraction(String option, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException("invalid " + option + " " + value + ": must be between 0 and 1, e.g. 0.5");
        }
        return value;
    }

    private static String space(SpaceReport r) {
        return "stored " + VolumeDuCommand.bytes(r.storedBytes()) + ", live " + VolumeDuCommand.bytes(r.liveBytes())
                + ", garbage " + VolumeDuCommand.bytes(r.garbageBytes());
    }

    static String json(String name, GcPassReport r, SpaceReport before, SpaceReport after) {
        return "{\"volume\":\"" + name + "\",\"dryRun\":" + r.dryRun() + ",\"newestSeq\":" + r.newestSeq()
                + ",\"graceSeq\":" + r.graceSeq() + ",\"deletedSegments\":" + r.deletedSegments().size()
                + ",\"deletedBytes\":" + r.deletedBytes() + ",\"waitingSegments\":" + r.waitingSegments()
                + ",\"waitingBytes\":" + r.waitingBytes() + ",\"victims\":" + r.victims().size() + ",\"movedBlocks\":"
                + r.movedBlocks() + ",\"movedBytes\":" + r.movedBytes() + ",\"rewrittenNodes\":" + r.rewrittenNodes()
                + ",\"skipped\":" + (r.skipped() == null ? "null" : quote(r.skipped())) + ",\"fromTable\":"
                + r.fromTable() + ",\"tableChecked\":" + r.tableChecked() + ",\"tableDifferences\":"
                + r.tableDifferences().size() + ",\"problems\":"
                + r.before().problems().size() + ",\"before\":" + spaceJson(before) + ",\"after\":"
                + (after == null ? "null" : spaceJson(after)) + "}";
    }

    private static String spaceJson(SpaceReport r) {
        return "{\"storedBytes\":" + r.storedBytes() + ",\"liveBytes\":" + r.liveBytes() + ",\"garbageBytes\":"
                + r.garbageBytes() + ",\"segments\":" + r.segmentCount() + "}";
    }

    static String quote(String s) {
        return JsonLines.quote(s);
    }
}
