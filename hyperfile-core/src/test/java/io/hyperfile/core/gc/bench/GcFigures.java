package io.hyperfile.core.gc.bench;

import io.hyperfile.core.gc.GarbageCollector;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The garbage collection figures of docs/PERFORMANCE.md, in process on a local directory store (tmpfs), printed as
 * Markdown. Not a test; run with {@code hyperfile-core/src/test/bench/run-gc-figures.sh [working-set-MiB] [dir]}.
 *
 * <ol>
 *   <li>Random 4 KiB overwrites of a working set, 10× its size, a FLUSH after every 32 writes (issued together),
 *       a pass started in the background after every quarter of the working set written: stored / live at the
 *       end, bytes uploaded (client data, compaction, index) / client bytes, LIST requests per pass, and client
 *       write throughput while passes run / without passes (same run, alternating).
 *   <li>Sequential overwrite of the whole working set, then one pass: stored / live.
 *   <li>Trim of the whole working set (as {@code fstrim} of deleted files does), then one pass: share of the
 *       trimmed bytes gone from the store.
 *   <li>What planning costs: random 4 KiB writes over the working set (a large index), one pass, then passes that
 *       only delete, each after 1 MiB more of random writes: from the live table, by a walk, and by a reopened
 *       writer that loads the stored table and compares index trees: GET requests and milliseconds each.
 * </ol>
 *
 * <p>{@code -Dgc.walk=true} makes every pass walk the index instead of planning from the live table;
 * {@code -Dgc.trace=true} prints one line per pass of the random workload on stderr (what it deleted, stored, live,
 * victims, moved).
 */
public final class GcFigures {
    private static final int BS = 4096;
    /** The defaults of {@code hyperfile gc}, with no grace period (nothing else reads these volumes). */
    private static final GcConfig GC = GcConfig.DEFAULT.withGrace(Duration.ZERO).withRateBytesPerSecond(0)
            .withRateRequestsPerSecond(0).withCheckEvery(Boolean.getBoolean("gc.walk") ? Duration.ZERO : GcConfig.DEFAULT.checkEvery());

    private GcFigures() {
    }

    public static void main(String[] args) throws Exception {
        long ws = (args.length > 0 ? Long.parseLong(args[0]) : 1024) << 20;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("hf-gc");
        System.out.println("| workload (working set " + (ws >> 20) + " MiB) | figure | value |");
        System.out.println("|---|---|---:|");
        randomOverwrites(dir.resolve("random"), ws);
        sequentialOverwrite(dir.resolve("sequential"), ws);
        trim(dir.resolve("trim"), ws);
        planningCost(dir.resolve("planning"), ws);
    }

    private static void randomOverwrites(Path dir, long ws) throws Exception {
        try (LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(dir)) {
            FlakyObjectStore store = new FlakyObjectStore(local);
            Volume v = create(store, ws);
            fill(v, ws);
            long uploaded0 = store.bytesWritten();
            long lists0 = store.calls(Op.LIST);
            GarbageCollector gc = new GarbageCollector(store, "v/", v, GC, Clock.systemUTC(), RetryScheduler.system());
            Random rnd = new Random(11);
            long blocks = ws / BS;
            long total = 10 * ws / BS;
            long quarter = blocks / 4;
            CompletableFuture<GcPassReport> pass = null;
            Passes passes = new Passes();
            long withGcNanos = 0;
            long withGcWrites = 0;
            long withoutGcNanos = 0;
            long withoutGcWrites = 0;
            byte[] data = new byte[BS];
            for (long done = 0; done < total; ) {
                // Alternate quarters with a pass running and quarters without one, to compare client throughput.
                boolean gcQuarter = (done / quarter) % 2 == 0;
                if (gcQuarter && pass == null) {
                    pass = gc.runPass(false, line -> { });
                }
                long t0 = System.nanoTime();
                long n = 0;
                while (n < quarter && done < total) {
                    List<CompletableFuture<Void>> batch = new ArrayList<>(32);
                    for (int i = 0; i < 32; i++) {
                        rnd.nextBytes(data);
                        long b = (rnd.nextLong() & Long.MAX_VALUE) % blocks;
                        batch.add(v.write(b * BS, ByteBuffer.wrap(data.clone())));
                    }
                    CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
                    v.flush().join();
                    n += 32;
                    done += 32;
                }
                long dt = System.nanoTime() - t0;
                boolean ran = pass != null && !pass.isDone();
                if (pass != null && pass.isDone()) {
                    passes.add(pass.join());
                    pass = null;
                }
                if (gcQuarter && ran) {
                    withGcNanos += dt;
                    withGcWrites += n;
                } else if (!gcQuarter && pass == null) {
                    withoutGcNanos += dt;
                    withoutGcWrites += n;
                }
            }
            if (pass != null) {
                passes.add(pass.join());
            }
            long clientBytes = total * BS;
            // Two closing passes: compact what the last one left, then delete the victims.
            for (int i = 0; i < 2; i++) {
                passes.add(gc.runPass(false, line -> { }).join());
            }
            long uploaded = store.bytesWritten() - uploaded0;
            SpaceReport r = SpaceAccounting.measure(store, "v/").join();
            breakdown(r);
            row("random 4 KiB overwrites, 10× the working set, FLUSH every 32", "stored / live at the end",
                    String.format("%.2f", (double) r.storedBytes() / r.liveBytes()));
            row("", "bytes uploaded / client bytes", String.format("%.2f", (double) uploaded / clientBytes));
            long lists = store.calls(Op.LIST) - lists0;
            row("", "passes (planned from the live table); LIST requests per pass; per 1,000 objects listed; segments at the end",
                    passes.count + " (" + passes.fromTable + "); " + String.format("%.1f; %.2f", (double) lists / passes.count,
                            lists / passes.thousandsListed) + "; " + r.segmentCount());
            row("", "live data moved by compaction / client bytes", String.format("%.2f", (double) passes.moved / clientBytes));
            if (withGcWrites > 0 && withoutGcWrites > 0) {
                double with = withGcWrites / (withGcNanos / 1e9);
                double without = withoutGcWrites / (withoutGcNanos / 1e9);
                row("", "client writes/s with a pass running / without", String.format("%.0f / %.0f = %.2f", with, without,
                        with / without));
            }
            v.abort();
        }
    }

    private static void sequentialOverwrite(Path dir, long ws) throws Exception {
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir)) {
            Volume v = create(store, ws);
            fill(v, ws);
            fill(v, ws);
            GarbageCollector gc = new GarbageCollector(store, "v/", v, GC, Clock.systemUTC(), RetryScheduler.system());
            SpaceReport before = SpaceAccounting.measure(store, "v/").join();
            gc.runPass(false, line -> { }).join();
            SpaceReport after = SpaceAccounting.measure(store, "v/").join();
            row("sequential overwrite of the whole working set", "stored / live before → after one pass",
                    String.format("%.2f → %.2f", (double) before.storedBytes() / before.liveBytes(),
                            (double) after.storedBytes() / after.liveBytes()));
            v.abort();
        }
    }

    private static void trim(Path dir, long ws) throws Exception {
        try (LocalDirectoryObjectStore store = new LocalDirectoryObjectStore(dir)) {
            Volume v = create(store, 2 * ws);
            fill(v, 2 * ws);
            SpaceReport before = SpaceAccounting.measure(store, "v/").join();
            v.trim(ws, ws).join();
            v.flush().join();
            GarbageCollector gc = new GarbageCollector(store, "v/", v, GC, Clock.systemUTC(), RetryScheduler.system());
            gc.runPass(false, line -> { }).join();
            SpaceReport after = SpaceAccounting.measure(store, "v/").join();
            row("trim of " + (ws >> 20) + " MiB of " + (2 * ws >> 20) + " MiB written", "share of the trimmed bytes gone after one pass",
                    String.format("%.1f %%", 100.0 * (before.storedBytes() - after.storedBytes()) / ws));
            v.abort();
        }
    }

    private static void planningCost(Path dir, long ws) throws Exception {
        try (LocalDirectoryObjectStore local = new LocalDirectoryObjectStore(dir)) {
            FlakyObjectStore store = new FlakyObjectStore(local);
            Volume v = create(store, ws);
            Random rnd = new Random(5);
            randomWrites(v, rnd, ws / BS, ws / BS);
            GcConfig onlyDelete = GC.withCompactBelow(0); // passes read nothing to move: their GETs are planning
            GarbageCollector gc = new GarbageCollector(store, "v/", v, onlyDelete, Clock.systemUTC(), RetryScheduler.system());
            gc.runPass(false, line -> { }).join(); // walks (no table yet) and stores the table
            randomWrites(v, rnd, ws / BS, (1 << 20) / BS);
            String table = planned(store, gc, false);
            randomWrites(v, rnd, ws / BS, (1 << 20) / BS);
            String walk = planned(store, gc, true);
            v.close().join();
            Volume reopened = Volume.open(store, "v", "v", VolumeConfig.DEFAULT).join();
            randomWrites(reopened, rnd, ws / BS, (1 << 20) / BS);
            GarbageCollector fresh = new GarbageCollector(store, "v/", reopened, onlyDelete, Clock.systemUTC(),
                    RetryScheduler.system());
            String loaded = planned(store, fresh, false);
            long segments = SpaceAccounting.measure(store, "v/").join().segmentCount();
            row("a pass after 1 MiB of random writes (" + (ws / BS) + " random 4 KiB writes before, " + segments
                    + " segments; deletion only)", "GET requests, ms: from the live table / a walk / a reopened writer "
                    + "(stored table + index diff)", table + " / " + walk + " / " + loaded);
            reopened.abort();
        }
    }

    /** One pass: "GETs, ms", and how it planned. */
    private static String planned(FlakyObjectStore store, GarbageCollector gc, boolean walk) {
        if (walk) {
            gc.requestCheck();
        }
        long gets = store.calls(Op.GET);
        long t0 = System.nanoTime();
        GcPassReport r = gc.runPass(false, line -> { }).join();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        return (store.calls(Op.GET) - gets) + " GETs, " + ms + " ms" + (r.fromTable() ? "" : " (walked)");
    }

    /** {@code count} random 4 KiB writes over the first {@code blocks} blocks, a FLUSH after every 32. */
    private static void randomWrites(Volume v, Random rnd, long blocks, long count) {
        byte[] data = new byte[BS];
        List<CompletableFuture<Void>> batch = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            rnd.nextBytes(data);
            batch.add(v.write((rnd.nextLong() & Long.MAX_VALUE) % blocks * BS, ByteBuffer.wrap(data.clone())));
            if (batch.size() == 32) {
                CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
                v.flush().join();
                batch.clear();
            }
        }
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).join();
        v.flush().join();
    }

    private static Volume create(LocalDirectoryObjectStore store, long size) {
        return create((io.hyperfile.core.store.ObjectStore) store, size);
    }

    private static Volume create(io.hyperfile.core.store.ObjectStore store, long size) {
        Volume.create(store, "v", new VolumeOptions(size, BS, VolumeOptions.DEFAULT_SEGMENT_TARGET_BYTES,
                VolumeOptions.DEFAULT_MAX_NODE_BYTES), Clock.systemUTC()).join();
        return Volume.open(store, "v", "v", VolumeConfig.DEFAULT).join();
    }

    /** Writes {@code bytes} from offset 0 in 1 MiB writes, then flushes. */
    private static void fill(Volume v, long bytes) {
        Random rnd = new Random(bytes);
        byte[] chunk = new byte[1 << 20];
        for (long off = 0; off < bytes; off += chunk.length) {
            rnd.nextBytes(chunk);
            v.write(off, ByteBuffer.wrap(chunk.clone())).join();
        }
        v.flush().join();
    }

    /** Where the stored bytes are, on stderr: live data, live nodes, overhead, and segments by utilisation. */
    private static void breakdown(SpaceReport r) {
        long data = 0;
        long nodes = 0;
        long overhead = 0;
        long[] byTenth = new long[11];
        for (SpaceReport.SegmentSpace s : r.segments()) {
            data += s.liveDataBytes();
            nodes += s.liveNodeBytes();
            overhead += s.overheadBytes();
            byTenth[(int) (10 * s.liveBytes() / Math.max(1, s.storedBytes()))] += s.storedBytes();
        }
        System.err.printf("stored %d MiB: live data %d MiB, live nodes %d MiB, overhead %d MiB%n", r.storedBytes() >> 20,
                data >> 20, nodes >> 20, overhead >> 20);
        for (int i = 0; i <= 10; i++) {
            System.err.printf("  utilisation %d0%%: %d MiB stored%n", i, byTenth[i] >> 20);
        }
    }

    /** What the passes of a run did, summed. */
    private static final class Passes {
        int count;
        int fromTable;
        long moved;
        double thousandsListed;

        void add(GcPassReport r) {
            if (Boolean.getBoolean("gc.trace")) {
                System.err.printf("pass: table=%s deleted=%d waiting=%d stored=%d live=%d garbage=%d victims=%d moved=%d skipped=%s%n", r.fromTable(), r.deletedSegments().size(), r.waitingSegments(),
                        r.before().storedBytes() >> 10, r.before().liveBytes() >> 10, r.before().garbageBytes() >> 10,
                        r.victims().size(), r.movedBytes() >> 10, r.skipped());
            }
            count++;
            fromTable += r.fromTable() ? 1 : 0;
            moved += r.movedBytes();
            thousandsListed += r.before().objectCount() / 1000.0;
        }
    }

    private static void row(String workload, String figure, String value) {
        System.out.println("| " + workload + " | " + figure + " | " + value + " |");
    }
}
