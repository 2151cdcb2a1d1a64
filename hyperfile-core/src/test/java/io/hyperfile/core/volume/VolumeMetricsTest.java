package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.store.ManualScheduler;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a volume reports for the metrics endpoint: dirty bytes in {@link Volume#stats()} and flush durations through
 * a {@link FlushObserver}, with the volume's time from a scheduler the test moves.
 */
class VolumeMetricsTest {
    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore store = new FlakyObjectStore(memory);
    private final ManualScheduler time = new ManualScheduler();

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer data(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 7);
        return ByteBuffer.wrap(b);
    }

    @Test
    void dirtyBytesCountBufferedBlocksUntilTheyAreDurableAndFlushesReportHowLongTheyWaited() {
        await(Volume.create(memory, "v", VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "t", VolumeConfig.builder().flushAge(Duration.ofHours(1)).scheduler(time).build()));
        List<Long> flushes = new ArrayList<>();
        v.observeFlushes(flushes::add);
        assertEquals(0, v.stats().dirtyBytes());
        long segments = v.stats().segmentsWritten(); // the claim segment of the open

        await(v.write(0, data(4096)));
        await(v.write(8192, data(3 * 4096)));
        await(v.write(0, data(4096))); // the same block again: still one block of it is dirty
        await(v.write(65536, ByteBuffer.allocate(4096))); // zeros are recorded as a range: no block data
        assertEquals(4 * 4096, v.stats().dirtyBytes());

        CompletableFuture<Void> gate = new CompletableFuture<>();
        store.add(FaultRule.on(Op.CREATE, ".*", FaultRule.always(), FaultAction.holdUntil(gate)));
        CompletableFuture<Void> first = v.flush();
        CompletableFuture<Void> second = v.flush();
        time.advance(Duration.ofMillis(250));
        assertEquals(4 * 4096, v.stats().dirtyBytes(), "on its way, not durable yet");
        gate.complete(null);
        await(first);
        await(second);

        assertEquals(0, v.stats().dirtyBytes());
        assertEquals(segments + 1, v.stats().segmentsWritten(), "both flushes shared one segment");
        assertEquals(List.of(250_000_000L, 250_000_000L), flushes);
        await(v.close());
    }
}
