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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash at every store request: for each N in a window spanning many flushes, the volume dies just before, or just
 * after, its N-th store request; the reopened volume must hold the state of its last completed flush, or a later
 * one with the rest of the writes lost (the last of them possibly torn at a block). The second test does the same
 * with several uploads in flight landing newest first (each segment create is held and the held ones are released
 * in reverse order), and at the crash lets the newest held create land while the older ones never do: the reopen
 * must take the complete prefix, and fsck must find no problem (orphans are not one).
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

    static Stream<Arguments> parallelCrashPoints() {
        List<Arguments> points = new ArrayList<>();
        for (int n = 1; n <= WINDOW; n++) {
            points.add(Arguments.of(n, "before"));
            points.add(Arguments.of(n, "after"));
        }
        return points.stream();
    }

    /** Holds every segment create; {@link #releaseNewestFirst} lets them go, the newest first. */
    private static final class Reorder implements FaultAction {
        private final Deque<CompletableFuture<Void>> held = new ArrayDeque<>();
        private boolean crashed;

        @Override
        public synchronized <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
            if (crashed) {
                return CompletableFuture.failedFuture(new StorageException(key, FailureCategory.UNKNOWN, "crashed"));
            }
            CompletableFuture<Void> gate = new CompletableFuture<>();
            held.push(gate);
            return gate.thenCompose(x -> proceed.get());
        }

        void releaseNewestFirst() {
            List<CompletableFuture<Void>> gates = new ArrayList<>();
            synchronized (this) {
                while (!held.isEmpty()) {
                    gates.add(held.pop());
                }
            }
            gates.forEach(g -> g.complete(null));
        }

        /** The crash: the newest held create lands, the older ones never do (nor does any sent from now on). */
        void landNewestOnly() {
            List<CompletableFuture<Void>> gates;
            synchronized (this) {
                crashed = true;
                gates = new ArrayList<>(held);
                held.clear();
            }
            for (int i = gates.size() - 1; i >= 1; i--) {
                gates.get(i).completeExceptionally(new StorageException(null, FailureCategory.UNKNOWN, "crashed"));
            }
            if (!gates.isEmpty()) {
                gates.get(0).complete(null);
            }
        }
    }

    /** Waits for {@code f}, letting held creates go whenever there are some (a write may wait for buffer memory). */
    private static void awaitReleasing(CompletableFuture<Void> f, Reorder reorder) throws Exception {
        while (true) {
            reorder.releaseNewestFirst();
            try {
                f.get(5, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                // still waiting: release what was held meanwhile
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
            }
        }
    }

    @ParameterizedTest(name = "crash {1} store request {0}, uploads landing out of order")
    @MethodSource("parallelCrashPoints")
    void reopenAfterACrashWithUploadsLandingOutOfOrderIsConsistent(int n, String when) throws Exception {
        boolean before = when.equals("before");
        InMemoryObjectStore memory = new InMemoryObjectStore();
        await(Volume.create(memory, "v", new VolumeOptions(SIZE, BLOCK, VolumeModelTest.SEGMENT_TARGET,
                VolumeModelTest.NODE_BYTES, SegmentEncoding.NONE), Clock.systemUTC()));
        FlakyObjectStore flaky = new FlakyObjectStore(memory);
        Volume volume = await(Volume.open(flaky, "v", "crash", VolumeModelTest.config().toBuilder().uploadParallelism(4).build()));
        long base = flaky.totalCalls();
        Reorder reorder = new Reorder();
        FaultRule crash = flaky.add(FaultRule.onStoreCall(FaultRule.nth(base + n), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(FlakyObjectStore.Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                if (!before) {
                    proceed.get().handle((v, e) -> null).join();
                }
                reorder.landNewestOnly();
                volume.abort();
                return CompletableFuture.failedFuture(new StorageException(null, FailureCategory.UNKNOWN, "crashed"));
            }
        }));
        flaky.add(FaultRule.on(FlakyObjectStore.Op.CREATE, ".*/seg/.*", FaultRule.always(), reorder));

        VolumeModel model = new VolumeModel(SIZE, BLOCK);
        Random rnd = new Random(11);
        VolumeModel.Op inProgress = null;
        for (int i = 0; i < 400 && flaky.totalCalls() < base + n; i++) {
            try {
                if (i % 6 == 5) {
                    awaitReleasing(volume.flush(), reorder);
                    model.flushed();
                    continue;
                }
                int len = BLOCK * (1 + rnd.nextInt(12));
                int off = rnd.nextInt(SIZE / BLOCK - 12) * BLOCK;
                byte[] data = new byte[len];
                VolumeModelRunner.fill(rnd, data);
                inProgress = new VolumeModel.Op(VolumeModel.Op.WRITE, off, data, len);
                awaitReleasing(volume.write(off, ByteBuffer.wrap(data)), reorder);
                model.accept(inProgress);
                inProgress = null;
            } catch (VolumeClosedException | StorageException | CompletionException e) {
                if (inProgress != null) {
                    // Failed, so its content is undefined: the part already in a sealed segment may have landed
                    // with that segment (the held create the crash lets land), the rest not.
                    model.accept(inProgress);
                }
                break;
            }
        }
        volume.abort();
        reorder.landNewestOnly();
        org.junit.jupiter.api.Assertions.assertEquals(1, crash.acted(), "the workload reached store request " + n);
        Volume reopened = await(Volume.open(memory, "v", "check", VolumeModelTest.config()));
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        await(reopened.read(0, all));
        model.reconcileAfterCrash(all.array(), "crash " + when + " store request " + n + ", uploads out of order");
        reopened.abort();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            VolumeChecker.Report fsck = await(VolumeChecker.check(memory, "v", executor, x -> { }));
            org.junit.jupiter.api.Assertions.assertTrue(fsck.isClean(), fsck.problems().toString());
        } finally {
            executor.shutdownNow();
        }
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
