package io.hyperfile.core.crypto;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeChecker;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every byte of an encrypted volume's data segment flipped in turn: fsck reports it, and the volume either fails to
 * open, fails the read, or (a flip in a byte that no read needs, such as a dead slot) reads exactly what was written,
 * never other data.
 */
class EncryptedVolumeCorruptionTest {
    private static final int BLOCK = 512;
    private static final int SIZE = 64 << 10;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"aes-256-gcm", "lz4+aes-256-gcm"})
    void everyFlippedByteIsAnErrorNeverOtherData(String encoding) {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        ObjectStore store = TestEncodings.wrap(memory, TestEncodings.parse(encoding));
        await(Volume.create(store, "v", new VolumeOptions(SIZE, BLOCK, 64 << 10, 1024, TestEncodings.parse(encoding)),
                Clock.systemUTC()));
        Volume v = await(Volume.open(store, "v", "w", VolumeConfig.DEFAULT));
        byte[] data = new byte[6 * BLOCK];
        Random r = new Random(11);
        for (int i = 0; i < data.length; i++) {
            data[i] = i % 3 == 0 ? (byte) r.nextInt() : (byte) (i / 64);
        }
        await(v.write(4 * BLOCK, ByteBuffer.wrap(data)));
        await(v.close());
        // The segment holding the data: the largest.
        List<ObjectInfo> segments = await(memory.listAll(SegmentKeys.segmentPrefix("v/"), null));
        ObjectInfo target = segments.stream().max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow();
        long newest = SegmentKeys.parseSegment("v/", segments.get(segments.size() - 1).key());
        byte[] sealed = await(memory.get(target.key(), ByteRange.all())).toByteArray();
        byte[] expected = new byte[SIZE];
        System.arraycopy(data, 0, expected, 4 * BLOCK, data.length);
        int detectedByFsck = 0;
        for (int i = 0; i < sealed.length; i++) {
            byte[] bad = sealed.clone();
            bad[i] ^= (byte) (1 << (i % 8));
            await(memory.put(target.key(), ByteBuffer.wrap(bad)));
            ObjectStore fresh = TestEncodings.wrap(memory, TestEncodings.parse(encoding));
            VolumeChecker.Report report = await(VolumeChecker.check(fresh, "v/", ForkJoinPool.commonPool(), n -> { }));
            assertFalse(report.isClean(), "fsck finds byte " + i + " of " + sealed.length + " flipped");
            detectedByFsck++;
            byte[] got;
            try {
                Volume reopened = await(Volume.openReadOnlyAt(fresh, "v", "r", VolumeConfig.DEFAULT, newest));
                try {
                    ByteBuffer all = ByteBuffer.allocate(SIZE);
                    await(reopened.read(0, all));
                    got = all.array();
                } finally {
                    reopened.abort();
                }
            } catch (RuntimeException expectedFailure) {
                continue; // refused at open or read
            }
            assertArrayEquals(expected, got, "byte " + i + " flipped: the read succeeded, so it must be the data written");
        }
        await(memory.put(target.key(), ByteBuffer.wrap(sealed)));
        assertTrue(detectedByFsck == sealed.length);
    }
}
