package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.gc.GcConfig;
import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.gc.SpaceReport;
import io.hyperfile.core.store.ManualScheduler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link GcStats}, as {@link GcService} fills it: passes, failures, deletions, moves and the newest space figures. */
class GcStatsTest {
    private static final Duration INTERVAL = Duration.ofMinutes(5);

    private static GcPassReport report(long stored, long live, List<Long> deleted, long deletedBytes, long movedBytes) {
        SpaceReport space = new SpaceReport(0, 0, live, stored, 0, 0, List.of(), List.of(), List.of(), List.of(), List.of());
        return new GcPassReport(space, 1, 1, false, deleted, deletedBytes, 0, 0, List.of(), 0, movedBytes, 0, null, false,
                false, List.of());
    }

    @Test
    void theServiceRecordsEachPassOfEachVolume() {
        ManualScheduler timer = new ManualScheduler();
        GcService service = new GcService(GcConfig.DEFAULT.withInterval(INTERVAL).withGrace(Duration.ZERO)
                .withRateBytesPerSecond(0).withRateRequestsPerSecond(0), Clock.systemUTC(), timer);
        List<CompletableFuture<GcPassReport>> results = List.of(
                CompletableFuture.completedFuture(report(1000, 600, List.of(3L, 4L), 300, 50)),
                CompletableFuture.failedFuture(new IllegalStateException("store down")),
                CompletableFuture.completedFuture(report(700, 560, List.of(5L), 100, 20)));
        int[] next = {0};
        service.add("v", () -> results.get(next[0]++));
        for (int i = 0; i < 3; i++) {
            timer.advance(INTERVAL);
        }

        GcStats.Figures v = service.stats().volumes().get("v");
        assertEquals(3, v.passes());
        assertEquals(1, v.failedPasses());
        assertEquals(3, v.deletedSegments());
        assertEquals(400, v.deletedBytes());
        assertEquals(70, v.movedBytes());
        assertEquals(700, v.storedBytes(), "as of the newest pass");
        assertEquals(560, v.liveBytes());
        assertEquals(List.of("v"), List.copyOf(service.stats().volumes().keySet()));
    }
}
