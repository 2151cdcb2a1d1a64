package io.hyperfile.core.volume.bench;

import io.hyperfile.core.store.RetryScheduler;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeConfig;
import io.hyperfile.core.volume.VolumeOptions;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;

/**
 * Sequential write throughput against a store whose segment creates take a fixed time (a stand-in for an object
 * store's PUT latency), for several {@code upload.parallelism} values. Not a test; run with
 * {@code java -cp <test classpath> io.hyperfile.core.volume.bench.ParallelUploadMeasure [createMillis] [MiB]}.
 * Prints a Markdown table.
 */
public final class ParallelUploadMeasure {
    private ParallelUploadMeasure() {
    }

    public static void main(String[] args) {
        long createMillis = args.length > 0 ? Long.parseLong(args[0]) : 50;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        System.out.println("| upload.parallelism | create latency | written | seconds | MiB/s |");
        System.out.println("|---|---|---|---|---|");
        for (int parallelism : new int[] {1, 2, 4, 8}) {
            InMemoryObjectStore memory = new InMemoryObjectStore();
            FlakyObjectStore store = new FlakyObjectStore(memory);
            store.add(FaultRule.on(Op.CREATE, ".*/seg/.*", FaultRule.always(),
                    FaultAction.delay(Duration.ofMillis(createMillis), RetryScheduler.system())));
            Volume.create(memory, "v", VolumeOptions.ofSize(4L << 30), Clock.systemUTC()).join();
            Volume v = Volume.open(store, "v", "bench", VolumeConfig.builder().uploadParallelism(parallelism).build()).join();
            byte[] data = new byte[1 << 20];
            new Random(1).nextBytes(data);
            long start = System.nanoTime();
            for (int i = 0; i < mib; i++) {
                v.write((long) i << 20, ByteBuffer.wrap(data)).join();
            }
            v.flush().join();
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("| %d | %d ms | %d MiB | %.2f | %.0f |%n", parallelism, createMillis, mib, seconds, mib / seconds);
            v.close().join();
        }
    }
}
