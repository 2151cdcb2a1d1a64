package io.hyperfile.core.volume.bench;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import io.hyperfile.core.volume.VolumeStats;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * End-to-end costs of the volume engine, printed as Markdown for docs/MEASUREMENTS.md. Not a test; run with
 * {@code hyperfile-core/src/test/bench/run-volume-measurements.sh}.
 *
 * <ol>
 *   <li>PUT count and bytes uploaded per GiB written: 1 GiB sequential in 1 MiB writes, then 1 GiB of random
 *       4 KiB writes with a flush after every 32.
 *   <li>Open time and heap with 1M extents: a volume of 512-byte blocks with every other block written (2^20 data
 *       extents) on a local directory; then time and heap to open it, and to walk its whole index once.
 * </ol>
 */
public final class VolumeMeasurements {
    private static final long GIB = 1L << 30;

    private VolumeMeasurements() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("| workload | payload | segment PUTs | bytes uploaded | uploaded / payload | PUTs per GiB | index nodes written |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        sequential();
        randomWithFlushes();
        System.out.println();
        openWithMillionExtents(args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("hf-measure"));
    }

    private static void sequential() {
        FlakyObjectStore store = new FlakyObjectStore(new InMemoryObjectStore());
        Volume v = create(store, 4 * GIB, VolumeOptions.DEFAULT_BLOCK_SIZE_BYTES);
        byte[] chunk = new byte[1 << 20];
        Random rnd = new Random(1);
        long before = store.bytesWritten();
        long puts = store.calls(Op.CREATE);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (long off = 0; off < GIB; off += chunk.length) {
            rnd.nextBytes(chunk);
            v.write(off, ByteBuffer.wrap(chunk.clone())).join();
        }
        v.flush().join();
        report("sequential 1 MiB writes", GIB, store.calls(Op.CREATE) - puts, store.bytesWritten() - before, v.stats());
        v.abort();
    }

    private static void randomWithFlushes() {
        FlakyObjectStore store = new FlakyObjectStore(new InMemoryObjectStore());
        Volume v = create(store, 16 * GIB, VolumeOptions.DEFAULT_BLOCK_SIZE_BYTES);
        Random rnd = new Random(2);
        byte[] block = new byte[4096];
        long before = store.bytesWritten();
        long puts = store.calls(Op.CREATE);
        long writes = GIB / 4096;
        for (long i = 1; i <= writes; i++) {
            rnd.nextBytes(block);
            long blockNo = (rnd.nextLong() & Long.MAX_VALUE) % (16 * GIB / 4096);
            v.write(blockNo * 4096, ByteBuffer.wrap(block.clone())).join();
            if (i % 32 == 0) {
                v.flush().join();
            }
        }
        v.flush().join();
        report("random 4 KiB writes, FLUSH every 32", GIB, store.calls(Op.CREATE) - puts, store.bytesWritten() - before, v.stats());
        v.abort();
    }

    private static void openWithMillionExtents(Path dir) throws Exception {
        int block = 512;
        long extents = 1 << 20;
        long size = 2 * extents * block;
        try (ObjectStore store = new LocalDirectoryObjectStore(dir)) {
            Volume.create(store, "m", new VolumeOptions(size, block, VolumeOptions.DEFAULT_SEGMENT_TARGET_BYTES,
                    VolumeOptions.DEFAULT_MAX_NODE_BYTES), Clock.systemUTC()).join();
            Volume v = Volume.open(store, "m", "m", VolumeConfig.DEFAULT).join();
            Random rnd = new Random(3);
            byte[] data = new byte[block];
            for (long i = 0; i < extents; i++) {
                rnd.nextBytes(data);
                v.write(2 * i * block, ByteBuffer.wrap(data.clone())).join();
            }
            v.close().join();
            System.out.println("| 1M-extent volume (512 B blocks, every other block written) | value |");
            System.out.println("|---|---:|");
            for (int round = 1; round <= 3; round++) {
                System.gc();
                long heap0 = usedHeap();
                long t0 = System.nanoTime();
                Volume opened = Volume.open(store, "m", "m", VolumeConfig.DEFAULT).join();
                long openNanos = System.nanoTime() - t0;
                System.gc();
                long heapOpen = usedHeap() - heap0;
                long t1 = System.nanoTime();
                int runs = opened.blockStatus(0, size).join().size();
                long walkNanos = System.nanoTime() - t1;
                System.gc();
                long heapWalk = usedHeap() - heap0;
                System.out.printf("| open, round %d: time | %.1f ms |%n", round, openNanos / 1e6);
                System.out.printf("| open, round %d: heap retained after open | %.1f MiB |%n", round, heapOpen / 1048576.0);
                System.out.printf("| walk of the whole index (block status, %d runs), round %d: time | %.0f ms |%n", runs, round, walkNanos / 1e6);
                System.out.printf("| heap retained after the walk (node cache 64 MiB), round %d | %.1f MiB |%n", round, heapWalk / 1048576.0);
                opened.abort();
            }
        }
    }

    private static Volume create(ObjectStore store, long size, int block) {
        Volume.create(store, "v", VolumeOptions.ofSize(size).withBlockSizeBytes(block), Clock.systemUTC()).join();
        return Volume.open(store, "v", "v", VolumeConfig.DEFAULT).join();
    }

    private static void report(String name, long payload, long puts, long bytes, VolumeStats stats) {
        System.out.printf("| %s | %.0f MiB | %d | %.1f MiB | %.3f | %.0f | %d |%n", name, payload / 1048576.0, puts,
                bytes / 1048576.0, (double) bytes / payload, puts / (payload / (double) GIB), stats.indexNodesWritten());
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
