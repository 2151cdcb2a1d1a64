package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The volume suite that runs on each real store (local directory, S3): a model run with crashes, fencing between
 * two writers, and a multi-segment round trip with default settings. Each test uses its own prefix.
 */
public abstract class AbstractVolumeStoreTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    /** 512-byte blocks, 64 per segment, requests up to 256 KiB: enough segments without thousands of PUTs. */
    private static final VolumeModelRunner RUNNER = new VolumeModelRunner(4 << 20, 512, 64 + 160 + 64 * 516, 8 + 4 * 43, 256 << 10);

    protected ObjectStore store;
    private String prefix;

    protected abstract ObjectStore createStore() throws Exception;

    @BeforeEach
    void setUpStore() throws Exception {
        store = createStore();
        prefix = "vol-" + System.nanoTime() + "-" + PREFIXES.incrementAndGet();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void modelRunWithCrashesAndReopens() {
        RUNNER.run(store, prefix, 20261125L, Integer.getInteger("hyperfile.store-model.steps", 250));
    }

    @Test
    void modelRunWithGarbageCollectionPasses() {
        VolumeModelRunner.GcTotals gc = RUNNER.withGc().run(store, prefix, 20261204L,
                Integer.getInteger("hyperfile.store-model.steps", 250));
        assertTrue(gc.passes() > 1 && gc.deletedSegments() > 0, "the passes deleted segments on this store: " + gc);
    }

    @Test
    void aSecondWriterIsFenced() {
        await(Volume.create(store, prefix, VolumeOptions.ofSize(1 << 20), Clock.systemUTC()));
        Volume a = await(Volume.open(store, prefix, "a", VolumeConfig.DEFAULT));
        Volume b = await(Volume.open(store, prefix, "b", VolumeConfig.DEFAULT));
        try {
            await(b.write(0, ByteBuffer.wrap(new byte[] {2})));
            await(b.flush());
            await(a.write(0, ByteBuffer.wrap(new byte[] {1})));
            VolumeFencedException e = failure(VolumeFencedException.class, a.flush());
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            await(b.write(1, ByteBuffer.wrap(new byte[] {3})));
            await(b.flush());
        } finally {
            a.abort();
            b.abort();
        }
        Volume c = await(Volume.open(store, prefix, "c", VolumeConfig.DEFAULT));
        ByteBuffer got = ByteBuffer.allocate(2);
        await(c.read(0, got));
        assertArrayEquals(new byte[] {2, 3}, got.array());
        c.abort();
    }

    @Test
    void multiSegmentRoundTripWithDefaults() {
        await(Volume.create(store, prefix, VolumeOptions.ofSize(64 << 20), Clock.systemUTC()));
        Volume v = await(Volume.open(store, prefix, "big", VolumeConfig.DEFAULT));
        byte[] data = new byte[20 << 20];
        new Random(3).nextBytes(data);
        await(v.write(4096 * 3 + 100, ByteBuffer.wrap(data)));
        await(v.close());
        Volume again = await(Volume.open(store, prefix, "big", VolumeConfig.DEFAULT));
        ByteBuffer got = ByteBuffer.allocate(data.length);
        await(again.read(4096 * 3 + 100, got));
        assertTrue(Arrays.equals(data, got.array()), "20 MiB across three segments read back differently");
        again.abort();
    }
}
