package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.gc.SpaceAccounting;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.nbd.export.ExportRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@link GcService} driven by a {@link ManualScheduler}: when passes run, that they run one at a time, that a failed
 * pass does not stop the next, that stopping cancels what is scheduled and waits for what runs; {@code serve}'s
 * {@code --gc} options; and, with {@link VolumeExports}, that a served volume gets real passes and its snapshots none.
 */
class GcServiceTest {
    private static final Duration INTERVAL = Duration.ofMinutes(5);
    /** No rate limits: the manual timer also paces passes, and nothing advances it while one runs. */
    private static final GcConfig CONFIG = GcConfig.DEFAULT.withInterval(INTERVAL).withGrace(Duration.ZERO)
            .withRateBytesPerSecond(0).withRateRequestsPerSecond(0);

    private final ManualScheduler timer = new ManualScheduler();
    private final GcService service = new GcService(CONFIG, Clock.systemUTC(), timer);

    private static GcPassReport report() {
        SpaceReport empty = new SpaceReport(0, 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), List.of(), List.of());
        return new GcPassReport(empty, 1, 1, false, List.of(), 0, 0, 0, List.of(), 0, 0, 0, null, false, false, List.of());
    }

    /** A pass that records each start and completes with the futures the test hands it, in order. */
    private static final class ScriptedPass implements GcService.Pass {
        final List<CompletableFuture<GcPassReport>> started = new ArrayList<>();

        @Override
        public CompletableFuture<GcPassReport> run() {
            CompletableFuture<GcPassReport> f = new CompletableFuture<>();
            started.add(f);
            return f;
        }

        int starts() {
            return started.size();
        }

        void completeLast() {
            started.get(started.size() - 1).complete(report());
        }
    }

    @Test
    void aPassRunsOneIntervalAfterTheVolumeIsAddedAndOneIntervalAfterTheLastEnded() {
        ScriptedPass a = new ScriptedPass();
        service.add("a", a);
        assertEquals(List.of(INTERVAL.toNanos()), timer.delays());
        timer.advance(INTERVAL.minusNanos(1));
        assertEquals(0, a.starts(), "not before the interval");
        timer.advance(Duration.ofNanos(1));
        assertEquals(1, a.starts());
        timer.advance(INTERVAL.multipliedBy(3));
        assertEquals(1, a.starts(), "the next interval counts from the end of the pass, which is still running");
        a.completeLast();
        assertEquals(List.of(INTERVAL.toNanos(), INTERVAL.toNanos()), timer.delays());
        assertTrue(timer.runNext());
        assertEquals(2, a.starts());
    }

    @Test
    void aRemovedVolumeGetsNoFurtherPassAndOneAddedAgainStartsAfresh() {
        ScriptedPass old = new ScriptedPass();
        service.add("a", old);
        timer.advance(INTERVAL);
        assertEquals(1, old.starts());
        service.remove("a"); // withdrawn while its pass runs: the pass ends, no next one
        old.completeLast();
        assertEquals(0, timer.pending(), "nothing scheduled for the withdrawn volume");
        timer.advance(INTERVAL.multipliedBy(3));
        assertEquals(1, old.starts());

        ScriptedPass again = new ScriptedPass(); // a new volume by that name
        service.add("a", again);
        timer.advance(INTERVAL);
        assertEquals(1, again.starts());
        again.completeLast();
        timer.advance(INTERVAL);
        assertEquals(2, again.starts());
        assertEquals(1, old.starts(), "the withdrawn volume's pass stays stopped");
    }

    @Test
    void passesOfDifferentVolumesRunOneAfterAnother() {
        ScriptedPass a = new ScriptedPass();
        ScriptedPass b = new ScriptedPass();
        service.add("a", a);
        service.add("b", b);
        timer.advance(INTERVAL);
        assertEquals(1, a.starts());
        assertEquals(0, b.starts(), "b is due but waits for a's pass");
        a.completeLast();
        assertEquals(1, b.starts());
        b.completeLast();
        assertEquals(2, timer.pending(), "each volume has its next pass scheduled");
    }

    @Test
    void aFailedPassDoesNotStopTheNextOnes() {
        int[] calls = new int[1];
        service.add("a", () -> {
            calls[0]++;
            if (calls[0] == 1) {
                throw new IllegalStateException("thrown by the pass");
            }
            return CompletableFuture.failedFuture(new IllegalStateException("store unreachable"));
        });
        ScriptedPass b = new ScriptedPass();
        service.add("b", b);
        timer.advance(INTERVAL);
        assertEquals(1, calls[0]);
        assertEquals(1, b.starts(), "a's failure does not hold b up");
        b.completeLast();
        timer.advance(INTERVAL);
        assertEquals(2, calls[0]);
        assertEquals(2, b.starts());
        b.completeLast();
        timer.advance(INTERVAL);
        assertEquals(3, calls[0], "still scheduled after two failures");
        assertEquals(3, b.starts());
    }

    @Test
    void stopCancelsScheduledPassesAndWaitsForTheRunningOne() throws Exception {
        ScriptedPass a = new ScriptedPass();
        ScriptedPass b = new ScriptedPass();
        service.add("a", a);
        service.add("b", b);
        timer.advance(INTERVAL);
        assertEquals(1, a.starts());
        CompletableFuture<Void> stopped = service.stop();
        assertFalse(stopped.isDone(), "a's pass is still running");
        a.completeLast();
        assertTrue(stopped.isDone());
        assertEquals(0, b.starts(), "b's queued pass never starts after stop");
        timer.advance(INTERVAL.multipliedBy(10));
        assertEquals(1, a.starts());
        assertEquals(0, b.starts());
        service.add("c", new ScriptedPass());
        timer.advance(INTERVAL.multipliedBy(10));
        assertEquals(0, timer.pending(), "nothing is scheduled after stop");
    }

    @Test
    void stopWaitsForAHungPassOnlyBoundedly() {
        ScriptedPass a = new ScriptedPass();
        service.add("a", a);
        timer.advance(INTERVAL);
        CompletableFuture<Void> stopped = service.stop();
        timer.advance(GcService.STOP_WAIT.minusNanos(1));
        assertFalse(stopped.isDone());
        timer.advance(Duration.ofNanos(1));
        assertTrue(stopped.isDone(), "the volumes may close after " + GcService.STOP_WAIT);
    }

    private static GcOptions serveOptions(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.gcOptions;
    }

    @Test
    void serveOptionsGcOffSchedulesNothing() {
        assertNull(serveOptions("--gc", "off").config());
        GcService off = new GcService(serveOptions("--gc", "off").config(), Clock.systemUTC(), timer);
        off.add("a", new ScriptedPass());
        assertEquals(0, timer.pending());

        GcConfig defaults = serveOptions().config();
        assertEquals(GcConfig.DEFAULT, defaults, "serve's defaults are the documented ones");
        GcConfig set = serveOptions("--gc-interval", "30s", "--gc-grace", "0", "--gc-rate", "0", "--gc-compact-below", "0.25",
                "--gc-check-every", "6h").config();
        assertEquals(GcConfig.DEFAULT.withInterval(Duration.ofSeconds(30)).withGrace(Duration.ZERO).withRateBytesPerSecond(0)
                .withCompactBelow(0.25).withCheckEvery(Duration.ofHours(6)), set);
        new GcService(set, Clock.systemUTC(), timer).add("a", new ScriptedPass());
        assertEquals(List.of(Duration.ofSeconds(30).toNanos()), timer.delays());

        for (String[] bad : List.of(new String[] {"--gc", "maybe"}, new String[] {"--gc-interval", "0"},
                new String[] {"--gc-rate", "x"}, new String[] {"--gc-compact-below", "2"},
                new String[] {"--gc-check-every", "daily"})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> serveOptions(bad).config());
            assertTrue(e.getMessage().startsWith("invalid " + bad[0] + " "), e.getMessage());
        }
    }

    @Test
    void aServedVolumeIsCollectedAndItsSnapshotIsNot() throws Exception {
        InMemoryObjectStore store = new InMemoryObjectStore();
        VolumeCatalog catalog = new VolumeCatalog(store);
        catalog.create("v", VolumeOptions.ofSize(4 << 20), Clock.systemUTC()).join();
        Volume w = catalog.open("v", VolumeConfig.DEFAULT).join();
        Random rnd = new Random(7);
        for (int i = 0; i < 3; i++) { // three full overwrites: two segments of garbage
            byte[] data = new byte[1 << 20];
            rnd.nextBytes(data);
            w.write(0, ByteBuffer.wrap(data)).join();
            w.flush().join();
        }
        long snapSeq = w.durableSeq().join();
        w.close().join();
        Snapshots.create(store, "v/", "s", snapSeq).join();
        long storedBefore = SpaceAccounting.measure(store, "v/").join().storedBytes();

        ExportRegistry registry = new ExportRegistry();
        StringWriter err = new StringWriter();
        VolumeExports exports = new VolumeExports(store, VolumeConfig.DEFAULT, registry,
                new OpenRetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ZERO), timer, service,
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
        exports.open(List.of("v")).get(30, TimeUnit.SECONDS);
        assertEquals(List.of("v", "v@s"), registry.list().stream().map(e -> e.name()).sorted().toList(), err.toString());
        assertEquals(List.of(INTERVAL.toNanos()), timer.delays(), "one gc schedule: the volume's, none for the snapshot");

        assertTrue(timer.runNext()); // the pass starts; close() waits for it before closing the volume
        exports.close().get(30, TimeUnit.SECONDS);
        SpaceReport after = SpaceAccounting.measure(store, "v/").join();
        assertTrue(after.storedBytes() < storedBefore - (2 << 20), storedBefore + " -> " + after.storedBytes());
        assertTrue(after.isComplete(), after.problems().toString());
    }
}
