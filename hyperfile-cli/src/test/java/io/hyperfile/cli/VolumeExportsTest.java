package io.hyperfile.cli;

import io.hyperfile.core.store.ManualScheduler;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link VolumeExports} on an in-memory store with injected faults and a scheduler the test drives: what is served,
 * what is reported, what is retried, and that nothing is opened or served once it is closed.
 */
class VolumeExportsTest {
    private static final OpenRetryPolicy POLICY = new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ZERO);

    private final InMemoryObjectStore backing = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(backing);
    private final ExportRegistry registry = new ExportRegistry();
    private final ManualScheduler scheduler = new ManualScheduler();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final VolumeExports exports = new VolumeExports(store, VolumeConfig.DEFAULT, registry, POLICY, scheduler, GcService.disabled(),
            new PrintWriter(out, true), new PrintWriter(err, true));

    @AfterEach
    void close() throws Exception {
        exports.close().get(30, TimeUnit.SECONDS);
    }

    private void create(String... names) {
        VolumeCatalog catalog = new VolumeCatalog(backing);
        for (String n : names) {
            catalog.create(n, VolumeOptions.ofSize(1 << 20), Clock.systemUTC()).join();
        }
    }

    @Test
    void healthyVolumesAreServedAndPermanentFailuresReportedOnceWithoutRetry() throws Exception {
        create("a", "b");
        backing.put("b/volume", java.nio.ByteBuffer.wrap(new byte[128])).join(); // garbled descriptor
        exports.open(List.of("a", "b", "missing")).get(30, TimeUnit.SECONDS);

        assertEquals(Map.of("a", VolumeExports.Status.SERVED, "b", VolumeExports.Status.FAILED,
                "missing", VolumeExports.Status.FAILED), exports.statuses());
        assertEquals(List.of("a"), registry.list().stream().map(e -> e.name()).toList());
        assertEquals(List.of(
                "hyperfile: cannot serve volume b: corrupt data in b/volume at offset 0: volume descriptor checksum mismatch:"
                        + " stored 00000000, computed " + String.format("%08x", io.hyperfile.core.format.Crc32c.of(new byte[124])),
                "hyperfile: cannot serve volume missing: it has no volume descriptor missing/volume (no such volume, or a"
                        + " half-deleted one)"), err.toString().lines().sorted().toList());
        assertEquals("export 'missing' cannot be served: it has no volume descriptor missing/volume (no such volume, or a"
                + " half-deleted one)", registry.unknownExportMessage("missing"));
        assertEquals(0, scheduler.pending(), "permanent failures are not retried");
        assertFalse(exports.nothingToServe());
    }

    @Test
    void nothingToServeOnlyWhenEveryVolumeFailedPermanently() throws Exception {
        create("flaky");
        store.add(FaultRule.on(FlakyObjectStore.Op.GET, "flaky/volume", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("flaky/volume"))));
        exports.reportIncomplete("half");
        exports.open(List.of("gone")).get(30, TimeUnit.SECONDS);
        assertTrue(exports.nothingToServe());
        exports.open(List.of("flaky")).get(30, TimeUnit.SECONDS);
        assertFalse(exports.nothingToServe(), "a volume being retried may still be served");
        assertEquals(List.of("flaky"), exports.volumes(VolumeExports.Status.RETRYING));
    }

    @Test
    void closingStopsTheRetries() throws Exception {
        create("flaky");
        store.add(FaultRule.on(FlakyObjectStore.Op.GET, "flaky/volume", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("flaky/volume"))));
        exports.open(List.of("flaky")).get(30, TimeUnit.SECONDS);
        assertTrue(scheduler.runNext());
        assertTrue(scheduler.runNext());
        long gets = store.calls(FlakyObjectStore.Op.GET);
        assertEquals(3, gets, "three attempts, one GET of the descriptor each");
        exports.close().get(30, TimeUnit.SECONDS);
        assertTrue(scheduler.runNext(), "the retry scheduled before the close fires...");
        assertEquals(gets, store.calls(FlakyObjectStore.Op.GET), "...and makes no attempt");
        assertEquals(0, scheduler.pending());
    }

    @Test
    void aVolumeThatOpensAfterTheCloseIsClosedAndNotServed() throws Exception {
        create("slow");
        CompletableFuture<Void> gate = new CompletableFuture<>();
        store.add(FaultRule.on(FlakyObjectStore.Op.GET, "slow/volume", FaultRule.first(1), FaultAction.holdUntil(gate)));
        CompletableFuture<Void> first = exports.open(List.of("slow"));
        assertEquals(List.of("slow"), exports.volumes(VolumeExports.Status.OPENING));
        exports.close().get(30, TimeUnit.SECONDS);
        gate.complete(null);
        first.get(30, TimeUnit.SECONDS);
        assertEquals(List.of(), registry.list());
        assertEquals(List.of("slow"), exports.volumes(VolumeExports.Status.OPENING), "never served");
        assertEquals("", err.toString() + out.toString(), "nothing reported after the close");
    }

    @Test
    void aVolumeWhoseLeaseRenewalFindsItDeletedIsWithdrawnWithItsSnapshots() throws Exception {
        create("v");
        io.hyperfile.core.checkpoint.Snapshots.create(backing, "v/", "s", 1).join();
        LeaseKeeper leases = new LeaseKeeper(store, Clock.systemUTC(), scheduler, LeaseKeeper.RENEW_PERIOD, "127.0.0.1:10809");
        VolumeExports held = new VolumeExports(store, VolumeConfig.DEFAULT, registry, POLICY, scheduler, GcService.disabled(), leases,
                new PrintWriter(out, true), new PrintWriter(err, true));
        try {
            held.open(List.of("v")).get(30, TimeUnit.SECONDS);
            assertEquals(List.of("v", "v@s"), registry.list().stream().map(e -> e.name()).toList());
            assertTrue(io.hyperfile.core.lease.Leases.read(backing, "v/").join().isPresent());

            new VolumeCatalog(backing).delete("v", n -> { }).join();
            leases.renewAll().get(30, TimeUnit.SECONDS); // what the timer does every period
            assertEquals(List.of(), registry.list());
            assertEquals("export 'v' is no longer served: the volume was deleted", registry.unknownExportMessage("v"));
            assertEquals("export 'v@s' is no longer served: the volume was deleted", registry.unknownExportMessage("v@s"));
            assertEquals(Map.of(), held.statuses());
        } finally {
            held.close().get(30, TimeUnit.SECONDS);
        }
        assertEquals(List.of(), backing.listAll("v/", null).join(), "nothing written under the deleted volume's prefix");
    }
}
