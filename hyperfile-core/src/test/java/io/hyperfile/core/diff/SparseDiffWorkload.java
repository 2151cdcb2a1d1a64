package io.hyperfile.core.diff;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

/**
 * The workload of the "diff cost" figure (docs/DIFF.md): a 1 TiB sparse volume with {@code baseWrites} scattered
 * 4 KiB blocks (so the index has many extents and several levels), a checkpoint A, then 10 MiB changed as
 * {@value #CHANGE_WRITES} scattered writes of 256 KiB, a checkpoint B.
 */
final class SparseDiffWorkload {
    static final long SIZE = 1L << 40;
    static final int BLOCK = 4096;
    static final int CHANGE_WRITES = 40;
    static final int CHANGE_BYTES = 256 << 10;

    /** Checkpoints A and B of volume {@code name}. */
    record Checkpoints(long a, long b) {
    }

    static Checkpoints run(ObjectStore store, String name, int maxNodeBytes, int baseWrites, long seed) {
        String prefix = name + "/";
        Volume.create(store, prefix, VolumeOptions.ofSize(SIZE).withMaxNodeBytes(maxNodeBytes), Clock.systemUTC()).join();
        Volume v = Volume.open(store, prefix, name, VolumeConfig.builder().flushAge(Duration.ofHours(1)).build()).join();
        Random rnd = new Random(seed);
        long blocks = SIZE / BLOCK;
        byte[] block = new byte[BLOCK];
        for (int i = 0; i < baseWrites; i++) {
            rnd.nextBytes(block);
            v.write(Math.floorMod(rnd.nextLong(), blocks) * BLOCK, ByteBuffer.wrap(block.clone())).join();
        }
        v.flush().join();
        long a = v.durableSeq().join();
        byte[] change = new byte[CHANGE_BYTES];
        for (int i = 0; i < CHANGE_WRITES; i++) {
            rnd.nextBytes(change);
            long at = Math.floorMod(rnd.nextLong(), blocks - CHANGE_BYTES / BLOCK) * BLOCK;
            v.write(at, ByteBuffer.wrap(change.clone())).join();
        }
        v.flush().join();
        long b = v.durableSeq().join();
        v.close().join();
        return new Checkpoints(a, b);
    }

    private SparseDiffWorkload() {
    }
}
