package io.hyperfile.core.gc;

import static io.hyperfile.core.store.StoreTesting.await;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** A small volume with many small segments and a deep index, and the helpers the GC tests share. */
final class GcFixture {
    static final int BS = 512;
    static final int BLOCKS = 128;
    static final int SIZE = BS * BLOCKS;
    static final int SEGMENT_TARGET = 8 << 10;
    static final int NODE_BYTES = 8 + 4 * 43;
    static final String PREFIX = "v/";
    /** Deletes at once, moves everything below 90 % live, no rate limit. */
    static final GcConfig EAGER = GcConfig.DEFAULT.withGrace(Duration.ZERO).withCompactBelow(0.9).withMinGarbageRatio(0)
            .withRateBytesPerSecond(0).withRateRequestsPerSecond(0);

    private GcFixture() {
    }

    /**
     * Read defragmentation off: these tests count segments and checkpoints, and a read of a fragmented range would
     * write one (VolumeModelTest runs garbage collection with it on).
     */
    static VolumeConfig config() {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).nodeCacheBytes(16 << 10).readDefragBytes(0).build();
    }

    static void create(ObjectStore store) {
        await(Volume.create(store, PREFIX, new VolumeOptions(SIZE, BS, SEGMENT_TARGET, NODE_BYTES), Clock.systemUTC()));
    }

    static Volume open(ObjectStore store) {
        return await(Volume.open(store, PREFIX, "v", config()));
    }

    static GarbageCollector collector(ObjectStore store, Volume v, GcConfig config, Clock clock) {
        return new GarbageCollector(store, PREFIX, v, config, clock, RetryScheduler.system());
    }

    static GcPassReport pass(ObjectStore store, Volume v, GcConfig config) {
        return await(collector(store, v, config, Clock.systemUTC()).runPass(false, line -> { }));
    }

    /** Writes {@code count} random blocks at {@code firstBlock} into {@code model} and the volume, one write per block run of 16. */
    static void write(Volume v, byte[] model, Random rnd, int firstBlock, int count) {
        for (int b = firstBlock; b < firstBlock + count; b += 16) {
            int n = Math.min(16, firstBlock + count - b);
            byte[] data = new byte[n * BS];
            rnd.nextBytes(data);
            System.arraycopy(data, 0, model, b * BS, data.length);
            await(v.write((long) b * BS, ByteBuffer.wrap(data)));
        }
    }

    /** Writes every block whose number is not a multiple of {@code keepEvery}, then flushes. */
    static void overwriteAllBut(Volume v, byte[] model, Random rnd, int keepEvery) {
        for (int b = 0; b < BLOCKS; b++) {
            if (b % keepEvery != 0) {
                write(v, model, rnd, b, 1);
            }
        }
        await(v.flush());
    }

    static byte[] readAll(Volume v) {
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        await(v.read(0, all));
        return all.array();
    }

    static TreeSet<Long> segments(ObjectStore store) {
        return await(store.listAll(SegmentKeys.segmentPrefix(PREFIX), null)).stream()
                .map(o -> SegmentKeys.parseSegment(PREFIX, o.key())).collect(Collectors.toCollection(TreeSet::new));
    }

    static List<String> keys(ObjectStore store) {
        return await(store.listAll(PREFIX, null)).stream().map(ObjectInfo::key).collect(Collectors.toList());
    }

    static SpaceReport measure(ObjectStore store) {
        return await(SpaceAccounting.measure(store, PREFIX));
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        private volatile Instant now = Instant.parse("2026-12-04T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
