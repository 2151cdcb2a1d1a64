package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.ResizeRequest;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.export.ExportRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ExportRescan} on an in-memory store, its rescans run on the test's thread (a direct executor) and timed by a
 * scheduler the test drives: the periodic rescan, and which volumes a server started with names considers.
 */
class ExportRescanTest {
    private static final Duration INTERVAL = Duration.ofSeconds(30);

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final VolumeCatalog catalog = new VolumeCatalog(store);
    private final ExportRegistry registry = new ExportRegistry();
    private final ManualScheduler scheduler = new ManualScheduler();
    private final StringWriter err = new StringWriter();
    private final VolumeExports exports = new VolumeExports(store, VolumeConfig.DEFAULT, registry,
            new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ZERO), scheduler, GcService.disabled(),
            new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));

    @AfterEach
    void close() throws Exception {
        exports.close().get(30, TimeUnit.SECONDS);
    }

    private void create(String name) {
        catalog.create(name, VolumeOptions.ofSize(1 << 20), Clock.systemUTC()).join();
    }

    private List<String> exported() {
        return registry.list().stream().map(e -> e.name()).toList();
    }

    @Test
    void aRescanComesEveryIntervalUntilStopped() throws Exception {
        create("a");
        exports.open(List.of("a")).get(30, TimeUnit.SECONDS);
        ExportRescan rescan = new ExportRescan(store, exports, List.of(), INTERVAL, scheduler, Runnable::run);
        rescan.start();
        create("b");
        scheduler.advance(INTERVAL.minusSeconds(1));
        assertEquals(List.of("a"), exported(), "not before the interval");
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(List.of("a", "b"), exported());

        catalog.delete("b", n -> { }).join();
        scheduler.advance(INTERVAL);
        assertEquals(List.of("a"), exported());
        assertEquals("export 'b' is no longer served: the volume was deleted", registry.unknownExportMessage("b"));

        rescan.stop();
        create("c");
        scheduler.advance(INTERVAL.multipliedBy(3));
        assertEquals(List.of("a"), exported(), "no rescan after stop");
        assertEquals(0, scheduler.pending());
    }

    @Test
    void aServerStartedWithNamesOpensOnlyThoseAndOneMissingAtStartOnceItExists() throws Exception {
        create("a");
        exports.open(List.of("a", "later")).get(30, TimeUnit.SECONDS);
        assertEquals(VolumeExports.Status.FAILED, exports.statuses().get("later"));
        ExportRescan rescan = new ExportRescan(store, exports, List.of("a", "later"), Duration.ZERO, scheduler, Runnable::run);

        assertEquals("no change", rescan.rescanNow().get(30, TimeUnit.SECONDS).summary());
        assertFalse(exports.statuses().containsKey("later"), "a failed volume that is gone is forgotten");
        create("later");
        create("unnamed");
        ExportRescan.Changes changes = rescan.rescanNow().get(30, TimeUnit.SECONDS);
        assertEquals(List.of("later"), changes.added());
        assertEquals(List.of("a", "later"), exported(), "a volume not named at start is not served");
        assertEquals(Map.of("a", VolumeExports.Status.SERVED, "later", VolumeExports.Status.SERVED), exports.statuses());
        assertTrue(scheduler.pending() == 0, "no periodic rescan with an interval of 0");
    }

    @Test
    void aRescanWithoutChangesCostsOneListingAndOneHeadPerVolumeAndOneSnapshotListingAndOneResizeGetPerServedVolume()
            throws Exception {
        io.hyperfile.core.store.fault.FlakyObjectStore counted = new io.hyperfile.core.store.fault.FlakyObjectStore(store);
        for (String name : List.of("a", "b", "c")) {
            create(name);
        }
        exports.open(List.of("a", "b", "c")).get(30, TimeUnit.SECONDS);
        ExportRescan rescan = new ExportRescan(counted, exports, List.of(), Duration.ZERO, scheduler, Runnable::run);
        assertEquals("no change", rescan.rescanNow().get(30, TimeUnit.SECONDS).summary());
        assertEquals(3 + 1 + 3, counted.calls(io.hyperfile.core.store.fault.FlakyObjectStore.Op.LIST),
                "one listing per volume prefix, one that finds the end, one snapshot listing per served volume");
        assertEquals(3, counted.calls(io.hyperfile.core.store.fault.FlakyObjectStore.Op.HEAD), "one descriptor HEAD per volume");
        assertEquals(3, counted.calls(io.hyperfile.core.store.fault.FlakyObjectStore.Op.GET),
                "one GET of the resize request NAME/resize per volume served for writing");
        assertEquals(7 + 3 + 3, counted.totalCalls(), "nothing else");
    }

    @Test
    void aRescanGrowsAServedVolumeAsAskedAndDeletesTheRequestButOnlyDeletesAStaleOne() throws Exception {
        create("a");
        create("b");
        exports.open(List.of("a", "b")).get(30, TimeUnit.SECONDS);
        ExportRescan rescan = new ExportRescan(store, exports, List.of(), Duration.ZERO, scheduler, Runnable::run);
        ResizeRequest.write(store, "a", new ResizeRequest(1 << 20, 3 << 20, 0)).join();
        ResizeRequest.write(store, "b", new ResizeRequest(2 << 20, 4 << 20, 0)).join(); // made when b had 2 MiB: stale

        ExportRescan.Changes changes = rescan.rescanNow().get(30, TimeUnit.SECONDS);
        assertEquals(List.of("grew volume a from 1048576 to 3145728 bytes as asked",
                "deleted the resize request of b from 2097152 to 4194304 bytes without applying it: the volume has 1048576 bytes"),
                changes.resizes());
        assertEquals(3L << 20, exports.servedVolumes().get("a").sizeBytes());
        assertEquals(3L << 20, catalog.info("a").join().sizeBytes(), "a checkpoint records the new size");
        assertEquals(1L << 20, catalog.info("b").join().sizeBytes(), "a stale request is not applied");
        assertEquals(Optional.empty(), ResizeRequest.read(store, "a").join());
        assertEquals(Optional.empty(), ResizeRequest.read(store, "b").join());
        assertEquals("no change", rescan.rescanNow().get(30, TimeUnit.SECONDS).summary(), "each request handled once");

        ResizeRequest.write(store, "a", new ResizeRequest(3 << 20, 2 << 20, 0)).join(); // a shrink is never applied online
        assertTrue(rescan.rescanNow().get(30, TimeUnit.SECONDS).summary().startsWith("deleted the resize request of a"));
        assertEquals(3L << 20, catalog.info("a").join().sizeBytes());
        assertEquals(Optional.empty(), ResizeRequest.read(store, "a").join());
    }
}
