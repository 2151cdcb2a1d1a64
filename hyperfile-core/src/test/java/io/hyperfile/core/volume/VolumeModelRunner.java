package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Runs a seeded random sequence of write / write-zeroes / trim / flush / read / block status / crash-and-reopen /
 * close-and-reopen against a {@link VolumeModel}, on any store. On failure the error names the seed, the step
 * and the operation. {@code -Dhyperfile.model.trace=true} prints every step.
 */
final class VolumeModelRunner {
    final int size;
    final int block;
    final int segmentTarget;
    final int nodeBytes;
    /** Largest single request, in bytes. */
    final int maxIo;

    VolumeModelRunner(int size, int block, int segmentTarget, int nodeBytes, int maxIo) {
        this.size = size;
        this.block = block;
        this.segmentTarget = segmentTarget;
        this.nodeBytes = nodeBytes;
        this.maxIo = maxIo;
    }

    VolumeConfig config() {
        return VolumeConfig.builder().flushAge(Duration.ofHours(1)).dirtyLimitBytes(8L * segmentTarget)
                .nodeCacheBytes(64 << 10).build();
    }

    /** Runs {@code steps} steps of seed {@code seed} on a new volume under {@code prefix} of {@code store}. */
    void run(ObjectStore store, String prefix, long seed, int steps) {
        await(Volume.create(store, prefix, new VolumeOptions(size, block, segmentTarget, nodeBytes), Clock.systemUTC()));
        Volume volume = await(Volume.open(store, prefix, "model", config()));
        Random rnd = new Random(seed);
        VolumeModel model = new VolumeModel(size, block);
        int step = 0;
        String op = "";
        try {
            for (step = 0; step < steps; step++) {
                if (Boolean.getBoolean("hyperfile.model.trace") && !op.isEmpty()) {
                    System.err.println("step " + (step - 1) + ": " + op);
                }
                int dice = rnd.nextInt(100);
                if (dice < 40) {
                    long[] r = range(rnd);
                    byte[] data = new byte[(int) r[1]];
                    rnd.nextBytes(data);
                    boolean fua = rnd.nextInt(20) == 0;
                    op = (fua ? "writeDurable " : "write ") + r[0] + "+" + r[1];
                    await(fua ? volume.writeDurable(r[0], ByteBuffer.wrap(data)) : volume.write(r[0], ByteBuffer.wrap(data)));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, r[0], data, r[1]));
                    if (fua) {
                        model.flushed();
                    }
                } else if (dice < 48) {
                    long[] r = range(rnd);
                    op = "writeZeroes " + r[0] + "+" + r[1];
                    await(volume.writeZeroes(r[0], r[1]));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.ZERO, r[0], null, r[1]));
                } else if (dice < 56) {
                    long[] r = range(rnd);
                    op = "trim " + r[0] + "+" + r[1];
                    await(volume.trim(r[0], r[1]));
                    model.accept(new VolumeModel.Op(VolumeModel.Op.TRIM, r[0], null, r[1]));
                } else if (dice < 64) {
                    op = "flush";
                    await(volume.flush());
                    model.flushed();
                } else if (dice < 86) {
                    long[] r = range(rnd);
                    op = "read " + r[0] + "+" + r[1];
                    ByteBuffer got = ByteBuffer.allocate((int) r[1]);
                    await(volume.read(r[0], got));
                    byte[] expected = java.util.Arrays.copyOfRange(model.current(), (int) r[0], (int) (r[0] + r[1]));
                    assertArrayEquals(expected, got.array(), "read differs");
                } else if (dice < 91) {
                    long[] r = range(rnd);
                    op = "blockStatus " + r[0] + "+" + r[1];
                    checkBlockStatus(await(volume.blockStatus(r[0], r[1])), r[0], r[1], model.current());
                } else if (dice < 97 && !Boolean.getBoolean("hyperfile.model.no-crash")) {
                    op = "crash and reopen (" + model.tailSize() + " mutations since the last flush)";
                    volume.abort();
                    volume = await(Volume.open(store, prefix, "model", config()));
                    model.reconcileAfterCrash(readAll(volume), "seed " + seed + " step " + step);
                } else {
                    op = "close and reopen";
                    await(volume.close());
                    model.flushed();
                    volume = await(Volume.open(store, prefix, "model", config()));
                    assertArrayEquals(model.current(), readAll(volume), "after a clean close");
                }
            }
            op = "final flush, crash and reopen";
            await(volume.flush());
            model.flushed();
            volume.abort();
            volume = await(Volume.open(store, prefix, "model", config()));
            assertArrayEquals(model.current(), readAll(volume), "after the final flush");
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + " failed at step " + step + " (" + op + "): " + t, t);
        } finally {
            volume.abort();
        }
    }

    /** A random byte range: often block-aligned, sizes 1 B to {@link #maxIo}, mostly small. */
    long[] range(Random rnd) {
        int sz;
        int dice = rnd.nextInt(100);
        if (dice < 60) {
            sz = 1 + rnd.nextInt(4 * block);
        } else if (dice < 95) {
            sz = 1 + rnd.nextInt(Math.min(maxIo, 64 << 10));
        } else {
            sz = 1 + rnd.nextInt(maxIo);
        }
        long offset = rnd.nextInt(size - sz + 1);
        if (rnd.nextBoolean()) {
            offset = offset / block * block;
            sz = Math.max(block, sz / block * block);
            if (offset + sz > size) {
                offset = size - sz;
            }
        }
        return new long[] {offset, sz};
    }

    byte[] readAll(Volume volume) {
        ByteBuffer all = ByteBuffer.allocate(size);
        await(volume.read(0, all));
        return all.array();
    }

    static void checkBlockStatus(List<BlockStatusRun> runs, long offset, long length, byte[] model) {
        long at = offset;
        for (BlockStatusRun run : runs) {
            assertEquals(at, run.offset(), "runs must be contiguous: " + runs);
            assertTrue(run.length() > 0, "empty run: " + runs);
            if (run.kind() != ExtentKind.DATA) {
                for (long i = run.offset(); i < run.offset() + run.length(); i++) {
                    if (model[(int) i] != 0) {
                        throw new AssertionError(run.kind() + " reported for non-zero byte " + i + ": " + runs);
                    }
                }
            }
            at += run.length();
        }
        assertEquals(offset + length, at, "runs must cover the range: " + runs);
    }
}
