package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Two writers on one volume: exactly one keeps committing; the other is fenced for good. */
class VolumeFencingTest {
    private static final int SIZE = 1 << 20;

    private final ObjectStore store = new InMemoryObjectStore();

    private static ByteBuffer block(int value) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void anOlderWriterIsFencedOnceANewerOneOpenedAndStaysFenced() {
        await(Volume.create(store, "v", VolumeOptions.ofSize(SIZE), Clock.systemUTC()));
        Volume a = await(Volume.open(store, "v", "a", VolumeConfig.DEFAULT));
        await(a.write(0, block(1)));
        await(a.flush());
        // b takes the volume over: opening claims the next seq, so a's next commit finds it taken.
        Volume b = await(Volume.open(store, "v", "b", VolumeConfig.DEFAULT));
        await(a.write(4096, block(2)));
        VolumeFencedException fenced = failure(VolumeFencedException.class, a.flush());
        assertTrue(fenced.getMessage().contains("v/seg/00000000000000000003 already exists with other contents"),
                fenced.getMessage());
        assertEquals(HealthState.FENCED, a.health());
        failure(VolumeFencedException.class, a.write(4096, block(3)));
        failure(VolumeFencedException.class, a.flush());
        failure(VolumeFencedException.class, a.read(0, ByteBuffer.allocate(10)));

        await(b.write(4096, block(4)));
        await(b.flush());
        await(b.close());
        a.abort();

        Volume reopened = await(Volume.open(store, "v", "c", VolumeConfig.DEFAULT));
        ByteBuffer got = ByteBuffer.allocate(8192);
        await(reopened.read(0, got));
        byte[] expected = new byte[8192];
        Arrays.fill(expected, 0, 4096, (byte) 1);
        Arrays.fill(expected, 4096, 8192, (byte) 4);
        assertArrayEquals(expected, got.array());
        await(reopened.close());
    }

    @Test
    void racingWritersNeverBothCommit() {
        for (int round = 0; round < 20; round++) {
            String prefix = "race" + round;
            await(Volume.create(store, prefix, VolumeOptions.ofSize(SIZE), Clock.systemUTC()));
            Volume a = await(Volume.open(store, prefix, "a", VolumeConfig.DEFAULT));
            Volume b = await(Volume.open(store, prefix, "b", VolumeConfig.DEFAULT));
            List<CompletableFuture<Void>> flushesA = new ArrayList<>();
            List<CompletableFuture<Void>> flushesB = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                a.write(i * 4096L, block(10 + i));
                b.write(i * 4096L, block(100 + i));
                flushesA.add(a.flush());
                flushesB.add(b.flush());
            }
            int okA = succeeded(flushesA);
            int okB = succeeded(flushesB);
            assertTrue((okA == 10 && okB == 0) || (okA == 0 && okB == 10),
                    "round " + round + ": a committed " + okA + " flushes, b " + okB);
            Volume winner = okA == 10 ? a : b;
            int base = okA == 10 ? 10 : 100;
            await(winner.close());
            a.abort();
            b.abort();
            Volume reopened = await(Volume.open(store, prefix, "check", VolumeConfig.DEFAULT));
            for (int i = 0; i < 10; i++) {
                ByteBuffer got = ByteBuffer.allocate(4096);
                await(reopened.read(i * 4096L, got));
                assertArrayEquals(block(base + i).array(), got.array(), "round " + round + " block " + i);
            }
            reopened.abort();
        }
    }

    /** How many flushes succeeded; once one failed (fenced), none after it may succeed. */
    private static int succeeded(List<CompletableFuture<Void>> flushes) {
        int ok = 0;
        boolean failed = false;
        for (CompletableFuture<Void> f : flushes) {
            try {
                await(f);
                assertTrue(!failed, "a flush succeeded after an earlier one was fenced");
                ok++;
            } catch (VolumeFencedException e) {
                failed = true;
            }
        }
        return ok;
    }
}
