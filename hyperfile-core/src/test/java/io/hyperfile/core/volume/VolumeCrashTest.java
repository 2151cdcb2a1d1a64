package io.hyperfile.core.volume;

import static io.hyperfile.core.store.StoreTesting.await;

import io.hyperfile.core.crypto.TestEncodings;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash at every store request: for each N in a window spanning many flushes, the volume dies just before, or just
 * after, its N-th store request; the reopened volume must hold the state of its last completed flush, or a later
 * one with the rest of the writes lost (the last of them possibly torn at a block).
 */
class VolumeCrashTest {
    private static final int BLOCK = 512;
    private static final int SIZE = 256 << 10;
    private static final int WINDOW = 70;

    static Stream<Arguments> crashPoints() {
        List<Arguments> points = new ArrayList<>();
        for (String encoding : List.of("none", "lz4", "zstd:3", "aes-256-gcm", "lz4+aes-256-gcm")) {
            for (int n = 1; n <= WINDOW; n++) {
                points.add(Arguments.of(n, "before", encoding));
                points.add(Arguments.of(n, "after", encoding));
            }
        }
        return points.stream();
    }

    @ParameterizedTest(name = "crash {1} store request {0}, encoding {2}")
    @MethodSource("crashPoints")
    void reopenAfterACrashAtAnyStoreRequestIsConsistent(int n, String when, String encoding) {
        boolean before = when.equals("before");
        InMemoryObjectStore memory = new InMemoryObjectStore();
        SegmentEncoding enc = TestEncodings.parse(encoding);
        await(Volume.create(TestEncodings.wrap(memory, enc), "v", new VolumeOptions(SIZE, BLOCK, VolumeModelTest.SEGMENT_TARGET,
                VolumeModelTest.NODE_BYTES, enc), Clock.systemUTC()));
        FlakyObjectStore flaky = new FlakyObjectStore(memory);
        Volume volume = await(Volume.open(TestEncodings.wrap(flaky, enc), "v", "crash", VolumeModelTest.config()));
        long base = flaky.totalCalls();
        AtomicReference<Volume> victim = new AtomicReference<>(volume);
        Supplier<Throwable> crashed = () -> new StorageException(null, FailureCategory.UNKNOWN, "crashed");
        FaultRule crash = flaky.add(FaultRule.onStoreCall(FaultRule.nth(base + n), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                if (!before) {
                    proceed.get().handle((v, e) -> null).join();
                }
                victim.get().abort();
                return CompletableFuture.failedFuture(crashed.get());
            }
        }));

        VolumeModel model = new VolumeModel(SIZE, BLOCK);
        Random rnd = new Random(7);
        for (int i = 0; i < 400 && flaky.totalCalls() < base + n; i++) {
            try {
                if (i % 6 == 5) {
                    await(volume.flush());
                    model.flushed();
                    continue;
                }
                int len = rnd.nextBoolean() ? BLOCK * (1 + rnd.nextInt(6)) : 1 + rnd.nextInt(3 * BLOCK);
                int off = rnd.nextBoolean() ? rnd.nextInt(SIZE / BLOCK - 8) * BLOCK : rnd.nextInt(SIZE - len);
                byte[] data = new byte[len];
                VolumeModelRunner.fill(rnd, data);
                await(volume.write(off, ByteBuffer.wrap(data)));
                model.accept(new VolumeModel.Op(VolumeModel.Op.WRITE, off, data, len));
            } catch (VolumeClosedException | StorageException | CompletionException e) {
                break;
            }
        }
        volume.abort();
        org.junit.jupiter.api.Assertions.assertEquals(1, crash.acted(), "the workload reached store request " + n);
        Volume reopened = await(Volume.open(TestEncodings.wrap(memory, enc), "v", "check", VolumeModelTest.config()));
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        await(reopened.read(0, all));
        model.reconcileAfterCrash(all.array(), "crash " + (before ? "before" : "after") + " store request " + n);
        reopened.abort();
    }
}
