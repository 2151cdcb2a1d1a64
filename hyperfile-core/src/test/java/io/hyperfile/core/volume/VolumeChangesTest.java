package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.core.checkpoint.Snapshots;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * {@link Volume#changedSince}: against a checkpoint named by seq and by snapshot, with changes both flushed and still
 * in the write buffer, trims of never-written blocks counting as unchanged, and bad names failing.
 */
class VolumeChangesTest {
    private static final int BLOCK = 4096;

    private static ByteBuffer data(int blocks) {
        byte[] b = new byte[blocks * BLOCK];
        java.util.Arrays.fill(b, (byte) 0x5A);
        return ByteBuffer.wrap(b);
    }

    @Test
    void changedSinceReportsFlushedAndBufferedChanges() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        Volume.create(store, "v/", VolumeOptions.ofSize(64L << 20), Clock.systemUTC()).join();
        Volume v = Volume.open(store, "v/", "v", VolumeConfig.builder().flushAge(Duration.ofHours(1)).build()).join();
        try {
            v.write(0, data(16)).join();
            v.flush().join();
            long a = v.durableSeq().join();
            Snapshots.create(store, "v/", "a", a).join();
            assertEquals(List.of(new ChangeRun(0, 64L << 20, false)), v.changedSince("seq:" + a, 0, 64L << 20).join());

            v.write(4 * BLOCK, data(2)).join(); // flushed below
            v.flush().join();
            v.write(10 * BLOCK, data(1)).join(); // still buffered
            v.trim(100 * BLOCK, 8 * BLOCK).join(); // a hole stays a hole: unchanged
            List<ChangeRun> expected = List.of(new ChangeRun(0, 4 * BLOCK, false), new ChangeRun(4 * BLOCK, 2 * BLOCK, true),
                    new ChangeRun(6 * BLOCK, 4 * BLOCK, false), new ChangeRun(10 * BLOCK, BLOCK, true),
                    new ChangeRun(11 * BLOCK, (64L << 20) - 11 * BLOCK, false));
            assertEquals(expected, v.changedSince("seq:" + a, 0, 64L << 20).join());
            assertEquals(expected, v.changedSince("a", 0, 64L << 20).join());
            assertEquals(List.of(new ChangeRun(5 * BLOCK + 100, 100, true)), v.changedSince("a", 5 * BLOCK + 100, 100).join());
            List<ChangeRun> sinceEmpty = v.changedSince("seq:0", 0, 32 * BLOCK).join();
            assertEquals(List.of(new ChangeRun(0, 16 * BLOCK, true), new ChangeRun(16 * BLOCK, 16 * BLOCK, false)), sinceEmpty);

            CompletionException missing = assertThrows(CompletionException.class, () -> v.changedSince("nosuch", 0, BLOCK).join());
            assertTrue(Exceptions.unwrap(missing) instanceof ObjectNotFoundException, missing.toString());
            assertThrows(IllegalArgumentException.class, () -> v.changedSince("seq:x", 0, BLOCK).join());

            // A checkpoint that failed to resolve is not remembered as failed: once the snapshot exists, it answers.
            Snapshots.create(store, "v/", "nosuch", a).join();
            assertEquals(expected, v.changedSince("nosuch", 0, 64L << 20).join());
        } finally {
            v.close().join();
        }
    }
}
