package io.hyperfile.core.gc;

import static io.hyperfile.core.gc.GcFixture.BLOCKS;
import static io.hyperfile.core.gc.GcFixture.BS;
import static io.hyperfile.core.gc.GcFixture.EAGER;
import static io.hyperfile.core.gc.GcFixture.PREFIX;
import static io.hyperfile.core.gc.GcFixture.SIZE;
import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time reads against a model: random writes, zeroes and trims, each batch flushed at a moved clock, the
 * content recorded per checkpoint (seq and time); then every {@code @seq:N} and {@code @time:T} reference resolves to
 * that checkpoint and a read-only open of it reads exactly the recorded content.
 */
class PointInTimeModelTest {
    private record Recorded(long seq, Instant time, byte[] content) {
    }

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final GcFixture.MovableClock clock = new GcFixture.MovableClock();

    private VolumeConfig config() {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).nodeCacheBytes(16 << 10).clock(clock).build();
    }

    private Volume open() {
        return await(Volume.open(store, PREFIX, "v", config()));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 17, 2026})
    void everySeqAndTimeReferenceReadsTheContentOfItsCheckpoint(long seed) {
        Random rnd = new Random(seed);
        await(Volume.create(store, PREFIX, new VolumeOptions(SIZE, BS, GcFixture.SEGMENT_TARGET, GcFixture.NODE_BYTES), clock));
        Instant created = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        byte[] model = new byte[SIZE];
        List<Recorded> recorded = new ArrayList<>();
        Volume v = open();
        int op = 0;
        try {
            for (op = 0; op < 30; op++) {
                for (int i = rnd.nextInt(4); i >= 0; i--) {
                    int first = rnd.nextInt(BLOCKS);
                    int count = 1 + rnd.nextInt(Math.min(24, BLOCKS - first));
                    switch (rnd.nextInt(5)) {
                        case 0 -> {
                            await(v.writeZeroes((long) first * BS, (long) count * BS));
                            java.util.Arrays.fill(model, first * BS, (first + count) * BS, (byte) 0);
                        }
                        case 1 -> {
                            await(v.trim((long) first * BS, (long) count * BS));
                            java.util.Arrays.fill(model, first * BS, (first + count) * BS, (byte) 0);
                        }
                        default -> GcFixture.write(v, model, rnd, first, count);
                    }
                }
                await(v.flush());
                recorded.add(new Recorded(await(v.durableSeq()), clock.instant(), model.clone()));
                clock.advance(Duration.ofMillis(1 + rnd.nextInt(5000)));
                if (rnd.nextInt(8) == 0) { // a reopen: its claim segment repeats the root at a later time
                    await(v.close());
                    v = open();
                }
            }
            await(v.close());

            for (Recorded r : recorded) {
                assertEquals(r.seq, await(CheckpointRef.parse("v@seq:" + r.seq).resolve(store)), "seed " + seed);
                assertEquals(r.seq, await(CheckpointRef.parse("v@time:" + r.time).resolve(store)), "seed " + seed + " " + r);
                assertArrayEquals(r.content, readAt(r.seq), "seed " + seed + ": content of checkpoint " + r.seq);
                // Any time before the next checkpoint still names this one (or a claim repeating it).
                long at = await(CheckpointRef.parse("v@time:" + r.time.plusMillis(1)).resolve(store));
                assertArrayEquals(r.content, readAt(at), "seed " + seed + ": content at " + r.time.plusMillis(1));
            }
            assertEquals(0L, await(CheckpointRef.parse("v@time:" + created).resolve(store)), "before the first segment: empty");
            assertArrayEquals(new byte[SIZE], readAt(0));
            ObjectNotFoundException before = assertThrows(ObjectNotFoundException.class,
                    () -> await(CheckpointRef.parse("v@time:" + created.minusSeconds(1)).resolve(store)));
            assertTrue(before.getMessage().contains("the volume was created later"), before.getMessage());
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("seed " + seed + ", op " + op + ": " + e.getMessage(), e);
        }
    }

    private byte[] readAt(long seq) {
        Volume ro = await(Volume.openReadOnlyAt(store, PREFIX, "v@seq:" + seq, config(), seq));
        try {
            ByteBuffer all = ByteBuffer.allocate(SIZE);
            await(ro.read(0, all));
            return all.array();
        } finally {
            await(ro.close());
        }
    }

    @Test
    void aCheckpointWhoseSegmentsGcDeletedIsNotWholeAndOneThatIsWholeVerifies() {
        Random rnd = new Random(5);
        await(Volume.create(store, PREFIX, new VolumeOptions(SIZE, BS, GcFixture.SEGMENT_TARGET, GcFixture.NODE_BYTES), clock));
        VolumeDescriptor desc = await(new io.hyperfile.core.volume.VolumeCatalog(store).info("v")).descriptor();
        byte[] model = new byte[SIZE];
        Volume v = open();
        GcFixture.write(v, model, rnd, 0, 8); // segment a: blocks 0-7
        await(v.flush());
        GcFixture.write(v, model, rnd, 64, 8); // segment b: blocks 64-71, and the checkpoint that reaches a and b
        await(v.flush());
        long b = await(v.durableSeq());
        assertEquals(b, await(CheckpointPresence.verify(store, PREFIX, desc, b)).seq(), "whole while nothing was deleted");

        GcFixture.write(v, model, rnd, 0, 8); // a is dead now; b keeps blocks 64-71
        await(v.flush());
        GcPassReport r = GcFixture.pass(store, v, EAGER.withCompactBelow(0));
        assertTrue(!r.deletedSegments().isEmpty() && GcFixture.segments(store).contains(b), r.summary());

        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class,
                () -> await(CheckpointPresence.verify(store, PREFIX, desc, b)));
        assertTrue(e.getMessage().startsWith("checkpoint " + b + " is no longer whole: v/seg/"), e.getMessage());
        // Reading it anyway fails where it needs a deleted segment (EIO over NBD), and never returns other data.
        Volume old = await(Volume.openReadOnlyAt(store, PREFIX, "v@seq:" + b, config(), b));
        ObjectNotFoundException gone = assertThrows(ObjectNotFoundException.class,
                () -> await(old.read(0, ByteBuffer.allocate(8 * BS))));
        assertTrue(gone.getMessage().contains("v/seg/"), gone.getMessage());
        ByteBuffer kept = ByteBuffer.allocate(8 * BS);
        await(old.read(64L * BS, kept));
        assertArrayEquals(java.util.Arrays.copyOfRange(model, 64 * BS, 72 * BS), kept.array(), "what b wrote is still there");
        await(old.close());
        long newest = await(v.durableSeq());
        assertEquals(newest, await(CheckpointPresence.verify(store, PREFIX, desc, newest)).seq());
        await(v.close());
    }
}
