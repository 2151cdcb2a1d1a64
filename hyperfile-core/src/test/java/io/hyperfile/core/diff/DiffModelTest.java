package io.hyperfile.core.diff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.index.ChangedRun;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Changed runs and diff files against random workloads: tiny blocks and index nodes (so trees are deep and split
 * often), random writes, zeroes and trims between checkpoints. For each pair of checkpoints (A, B): the runs cover
 * every block whose content differs, hold only blocks that an operation between A and B touched, say "zero" only
 * where B reads zeroes; and applying {@code export-diff 0 A} then {@code export-diff A B} to a new volume yields B
 * byte for byte. Each failure names its seed.
 */
class DiffModelTest {
    private static final int BLOCK = 512;
    private static final int BLOCKS = 2048;
    private static final int SIZE = BLOCKS * BLOCK;
    private static final int SEGMENT_TARGET = 64 + 160 + 16 * (BLOCK + 4);
    private static final int NODE_BYTES = 8 + 4 * 43;
    private static final VolumeOptions OPTIONS = new VolumeOptions(SIZE, BLOCK, SEGMENT_TARGET, NODE_BYTES);
    private static final VolumeConfig CONFIG = VolumeConfig.builder().flushAge(Duration.ofHours(1))
            .dirtyLimitBytes(8L * SEGMENT_TARGET).nodeCacheBytes(64 << 10).build();

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20261205})
    void applyingTheDiffOfACopyOfAYieldsB(long seed) throws IOException {
        ObjectStore store = new InMemoryObjectStore();
        Volume.create(store, "src/", OPTIONS, Clock.systemUTC()).join();
        Volume v = Volume.open(store, "src/", "src", CONFIG).join();
        Random rnd = new Random(seed);
        List<Long> seqs = new ArrayList<>();
        List<BitSet> touchedIn = new ArrayList<>(); // per checkpoint: the blocks its round of operations touched
        for (int cp = 0; cp < 6; cp++) {
            BitSet touched = new BitSet(BLOCKS);
            int ops = 1 + rnd.nextInt(cp == 0 ? 200 : 40);
            for (int i = 0; i < ops; i++) {
                int start = rnd.nextInt(BLOCKS);
                int count = 1 + rnd.nextInt(Math.min(64, BLOCKS - start));
                int kind = rnd.nextInt(10);
                if (kind < 7) {
                    byte[] data = new byte[count * BLOCK];
                    rnd.nextBytes(data);
                    v.write((long) start * BLOCK, ByteBuffer.wrap(data)).join();
                } else if (kind < 9) {
                    v.trim((long) start * BLOCK, (long) count * BLOCK).join();
                } else {
                    v.writeZeroes((long) start * BLOCK, (long) count * BLOCK).join();
                }
                touched.set(start, start + count);
            }
            v.flush().join();
            seqs.add(v.durableSeq().join());
            touchedIn.add(touched);
        }
        v.close().join();
        for (int a = 0; a < seqs.size(); a++) {
            for (int b = a + 1; b < seqs.size(); b++) {
                BitSet touched = new BitSet(BLOCKS);
                for (int k = a + 1; k <= b; k++) {
                    touched.or(touchedIn.get(k));
                }
                checkRuns(store, seqs.get(a), seqs.get(b), touched, "seed " + seed + " " + a + "->" + b);
            }
        }
        int a = 1 + rnd.nextInt(seqs.size() - 2);
        int b = a + 1 + rnd.nextInt(seqs.size() - a - 1);
        String what = "seed " + seed + " seq " + seqs.get(a) + " -> " + seqs.get(b);
        Volume.create(store, "copy/", OPTIONS, Clock.systemUTC()).join();
        importDiff(store, export(store, 0, seqs.get(a)), false);
        assertArrayEquals(read(store, "src/", seqs.get(a)), read(store, "copy/", newest(store)), what + ": full diff");
        byte[] incremental = export(store, seqs.get(a), seqs.get(b));
        importDiff(store, incremental, false);
        assertArrayEquals(read(store, "src/", seqs.get(b)), read(store, "copy/", newest(store)), what);
        IllegalStateException again = assertThrows(IllegalStateException.class,
                () -> importDiff(store, export(store, seqs.get(0), seqs.get(a)), false));
        assertTrue(again.getMessage().contains("applies to volume") && again.getMessage().contains("at seq " + seqs.get(0)),
                again.getMessage());
        assertEquals(true, DiffImport.check(store, "copy/", new DiffReader(new ByteArrayInputStream(incremental), "d")
                .header(), false).alreadyAtTarget(), what + ": the same diff again is a no-op");
    }

    private static void checkRuns(ObjectStore store, long a, long b, BitSet touched, String what) {
        CheckpointDiff.Result diff = CheckpointDiff.between(store, "src/", a, b).join();
        byte[] contentA = read(store, "src/", a);
        byte[] contentB = read(store, "src/", b);
        BitSet inRuns = new BitSet(BLOCKS);
        for (ChangedRun r : diff.changes().runs()) {
            inRuns.set((int) r.startBlock(), (int) r.endBlock());
            for (long blk = r.startBlock(); blk < r.endBlock(); blk++) {
                assertTrue(touched.get((int) blk), what + ": block " + blk + " reported changed but no operation touched it");
                if (r.zero()) {
                    for (int i = 0; i < BLOCK; i++) {
                        assertEquals(0, contentB[(int) blk * BLOCK + i], what + ": block " + blk + " is not zero in B");
                    }
                }
            }
        }
        for (int blk = 0; blk < BLOCKS; blk++) {
            if (!inRuns.get(blk)) {
                for (int i = 0; i < BLOCK; i++) {
                    if (contentA[blk * BLOCK + i] != contentB[blk * BLOCK + i]) {
                        throw new AssertionError(what + ": block " + blk + " differs but is not in a changed run");
                    }
                }
            }
        }
    }

    static byte[] export(ObjectStore store, long from, long to) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DiffExport.write(store, "src/", "src", from, to, out, Clock.systemUTC(), done -> { });
        return out.toByteArray();
    }

    static void importDiff(ObjectStore store, byte[] diff, boolean force) throws IOException {
        DiffReader reader = new DiffReader(new ByteArrayInputStream(diff), "diff");
        DiffImport.Plan plan = DiffImport.check(store, "copy/", reader.header(), force);
        if (plan.alreadyAtTarget()) {
            return;
        }
        Volume dest = Volume.open(store, "copy/", "copy", CONFIG).join();
        try {
            DiffImport.apply(store, "copy/", dest, reader, plan, Clock.systemUTC(), done -> { });
        } finally {
            dest.close().join();
        }
    }

    static long newest(ObjectStore store) {
        return io.hyperfile.core.checkpoint.CheckpointLocator.newestSegment(store, "copy/").join();
    }

    static byte[] read(ObjectStore store, String prefix, long seq) {
        Volume view = Volume.openReadOnlyAt(store, prefix, prefix, CONFIG, seq).join();
        try {
            ByteBuffer all = ByteBuffer.allocate(SIZE);
            view.read(0, all).join();
            return all.array();
        } finally {
            view.close().join();
        }
    }

    @org.junit.jupiter.api.Test
    void anInterruptedImportIsFinishedByTheSameDiffOnly() throws IOException {
        ObjectStore store = new InMemoryObjectStore();
        Volume.create(store, "src/", OPTIONS, Clock.systemUTC()).join();
        Volume v = Volume.open(store, "src/", "src", CONFIG).join();
        Random rnd = new Random(5);
        long[] seqs = new long[3];
        for (int cp = 0; cp < 3; cp++) {
            for (int i = 0; i < 20; i++) {
                byte[] data = new byte[8 * BLOCK];
                rnd.nextBytes(data);
                v.write((long) rnd.nextInt(BLOCKS - 8) * BLOCK, ByteBuffer.wrap(data)).join();
            }
            v.flush().join();
            seqs[cp] = v.durableSeq().join();
        }
        v.close().join();
        Volume.create(store, "copy/", OPTIONS, Clock.systemUTC()).join();
        importDiff(store, export(store, 0, seqs[0]), false);
        byte[] diff = export(store, seqs[0], seqs[2]);
        byte[] cut = java.util.Arrays.copyOf(diff, diff.length / 2);
        assertThrows(CorruptionException.class, () -> importDiff(store, cut, false));
        DiffBase half = DiffBase.read(store, "copy/").join();
        assertEquals(DiffBase.State.APPLYING, half.state(), half.toString());
        IllegalStateException other = assertThrows(IllegalStateException.class,
                () -> importDiff(store, export(store, seqs[0], seqs[1]), false));
        assertTrue(other.getMessage().contains("half-applied diff"), other.getMessage());
        importDiff(store, diff, false);
        assertArrayEquals(read(store, "src/", seqs[2]), read(store, "copy/", newest(store)));
        assertEquals(DiffBase.State.AT, DiffBase.read(store, "copy/").join().state());
    }

    @org.junit.jupiter.api.Test
    void aCorruptRecordIsRefused() throws IOException {
        ObjectStore store = new InMemoryObjectStore();
        Volume.create(store, "src/", OPTIONS, Clock.systemUTC()).join();
        Volume v = Volume.open(store, "src/", "src", CONFIG).join();
        v.write(0, ByteBuffer.wrap(new byte[4 * BLOCK]).put(0, (byte) 7)).join();
        v.flush().join();
        long seq = v.durableSeq().join();
        v.close().join();
        byte[] diff = export(store, 0, seq);
        diff[DiffHeader.BYTES + DiffWriter.RECORD_HEADER_BYTES] ^= 1;
        DiffReader reader = new DiffReader(new ByteArrayInputStream(diff), "d");
        CorruptionException e = assertThrows(CorruptionException.class, reader::next);
        assertTrue(e.getMessage().contains("diff record"), e.getMessage());
    }
}
