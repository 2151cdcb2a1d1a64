package io.hyperfile.cli;

import io.hyperfile.core.store.ManualScheduler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.cli.it.NbdTestClient;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code serve}'s start-up in process, against a store whose faults the test controls and a scheduler whose timers
 * it fires: a volume whose open fails transiently is reported, retried in the background and served once it opens,
 * without a restart, while the healthy volume and its snapshots are served all along. Reads go over NBD.
 */
class ServeRecoveryIT {
    private static final long SIZE = 64L << 20;
    private static final int DATA = 64 << 10;
    private static final long SECOND = 1_000_000_000L;

    private static byte[] pattern(int seed) {
        byte[] b = new byte[DATA];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes {@code data} at offset 0 of the volume and returns the checkpoint that holds it. */
    private static long write(VolumeCatalog catalog, String name, byte[] data) {
        Volume v = catalog.open(name, VolumeConfig.DEFAULT).join();
        try {
            v.write(0, ByteBuffer.wrap(data)).join();
            v.flush().join();
            return v.durableSeq().join();
        } finally {
            v.close().join();
        }
    }

    private static byte[] readOverNbd(int port, String export) throws Exception {
        try (NbdTestClient client = NbdTestClient.connect("127.0.0.1", port, export)) {
            assertEquals(SIZE, client.sizeBytes());
            return client.read(0, DATA).get(30, TimeUnit.SECONDS);
        }
    }

    /** Polls {@code condition} until it holds, for at most 30 s. */
    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + 30 * SECOND;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    @Timeout(120)
    void aVolumeWhoseOpenFailsTransientlyIsServedOnceARetryOpensIt() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        VolumeCatalog catalog = new VolumeCatalog(backing);
        catalog.create("good", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        catalog.create("flaky", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        byte[] first = pattern(1);
        byte[] now = pattern(2);
        byte[] flakyData = pattern(3);
        Snapshots.create(backing, "good/", "first", write(catalog, "good", first)).join();
        write(catalog, "good", now);
        write(catalog, "flaky", flakyData);
        backing.put("good/snap/broken", ByteBuffer.wrap("garbage".getBytes(StandardCharsets.US_ASCII))).join();

        FlakyObjectStore store = new FlakyObjectStore(backing);
        FaultRule unavailable = store.add(FaultRule.on(FlakyObjectStore.Op.GET, "flaky/volume", FaultRule.first(2),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("flaky/volume"))));
        ManualScheduler scheduler = new ManualScheduler();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ServeCommand.Running running = ServeCommand.start(store, List.of("good", "flaky"), List.of(), VolumeConfig.DEFAULT,
                ServerConfig.builder().port(0).build(), new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ZERO),
                scheduler, GcService.disabled(), Duration.ofSeconds(60), new PrintWriter(out, true), new PrintWriter(err, true));
        try {
            int port = running.port();
            assertTrue(out.toString().startsWith("hyperfile: serving good (not yet: flaky) on 127.0.0.1:" + port + "\n"), out.toString());
            List<String> reported = err.toString().lines().toList();
            assertEquals(2, reported.size(), err.toString());
            assertTrue(reported.contains("hyperfile: cannot serve volume flaky yet: injected fault: 503 Service Unavailable on"
                    + " flaky/volume; retrying in the background"), err.toString());
            assertTrue(reported.contains("hyperfile: cannot serve snapshot good@broken: corrupt data in good/snap/broken at offset 0:"
                    + " not a snapshot record (bad magic) nor a legacy checkpoint number: 7 bytes 'garbage'"), err.toString());

            // The healthy volume and its good snapshot are served; the broken snapshot and the flaky volume are not.
            assertArrayEquals(now, readOverNbd(port, "good"));
            assertArrayEquals(first, readOverNbd(port, "good@first"));
            IOException notYet = assertThrows(IOException.class, () -> readOverNbd(port, "flaky"));
            assertTrue(notYet.getMessage().endsWith("export 'flaky' is not available yet: opening it failed (injected fault:"
                    + " 503 Service Unavailable on flaky/volume); the server retries"), notYet.getMessage());
            assertTrue(assertThrows(IOException.class, () -> readOverNbd(port, "good@broken")).getMessage()
                    .contains("export 'good@broken' cannot be served: corrupt data in good/snap/broken"));
            assertEquals(List.of(SECOND), scheduler.delays(), "one retry scheduled, after the initial backoff");

            assertTrue(scheduler.runNext(), "second attempt");
            awaitTrue(() -> scheduler.pending() == 1, "the third attempt is scheduled");
            assertEquals(List.of(SECOND, 2 * SECOND), scheduler.delays());
            assertEquals(2, unavailable.acted());
            assertThrows(IOException.class, () -> readOverNbd(port, "flaky"));
            assertEquals(VolumeExports.Status.RETRYING, running.volumes().statuses().get("flaky"));

            assertTrue(scheduler.runNext(), "third attempt: the store answers now");
            awaitTrue(() -> running.volumes().statuses().get("flaky") == VolumeExports.Status.SERVED, "flaky is served");
            assertArrayEquals(flakyData, readOverNbd(port, "flaky"));
            assertTrue(out.toString().contains("hyperfile: now serving volume flaky (it opened after 2 failed attempts)\n"), out.toString());
            assertEquals(0, scheduler.pending(), "no more attempts");
            assertEquals(2, err.toString().lines().count(), "the second failure went to the log, not to stderr: " + err);
        } finally {
            running.stop();
        }
    }

    @Test
    @Timeout(120)
    void serveStartsWithoutWaitingForAVolumeWhoseOpenHangsAndServesItOnceItOpens() throws Exception {
        InMemoryObjectStore backing = new InMemoryObjectStore();
        VolumeCatalog catalog = new VolumeCatalog(backing);
        catalog.create("good", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        catalog.create("slow", VolumeOptions.ofSize(SIZE), Clock.systemUTC()).join();
        byte[] slowData = pattern(4);
        write(catalog, "slow", slowData);
        FlakyObjectStore store = new FlakyObjectStore(backing);
        CompletableFuture<Void> storeAnswers = new CompletableFuture<>();
        store.add(FaultRule.on(FlakyObjectStore.Op.GET, "slow/volume", FaultRule.first(1), FaultAction.holdUntil(storeAnswers)));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ServeCommand.Running running = ServeCommand.start(store, List.of("good", "slow"), List.of(), VolumeConfig.DEFAULT,
                ServerConfig.builder().port(0).build(), OpenRetryPolicy.DEFAULT, new ManualScheduler(), GcService.disabled(), Duration.ZERO,
                new PrintWriter(out, true), new PrintWriter(err, true));
        try {
            int port = running.port();
            assertTrue(out.toString().startsWith("hyperfile: serving good (not yet: slow) on 127.0.0.1:" + port + "\n"), out.toString());
            assertEquals("hyperfile: volume slow is still opening; it will be served once it opens\n", err.toString());
            assertArrayEquals(new byte[DATA], readOverNbd(port, "good"));
            assertTrue(assertThrows(IOException.class, () -> readOverNbd(port, "slow")).getMessage()
                    .endsWith("export 'slow' is not available yet: the server is still opening it"));

            storeAnswers.complete(null);
            awaitTrue(() -> running.volumes().statuses().get("slow") == VolumeExports.Status.SERVED, "slow is served");
            assertArrayEquals(slowData, readOverNbd(port, "slow"));
        } finally {
            running.stop();
        }
    }
}
