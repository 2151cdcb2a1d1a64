package io.hyperfile.core.store;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static io.hyperfile.core.store.fault.FaultRule.always;
import static io.hyperfile.core.store.fault.FaultRule.first;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class RetryingObjectStoreTest {
    private static final RetryPolicy POLICY = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(60));

    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore flaky = new FlakyObjectStore(memory);
    private final VirtualScheduler clock = new VirtualScheduler();
    private final RetryingObjectStore store = new RetryingObjectStore(flaky, POLICY, clock);

    private <T> CompletableFuture<T> settle(CompletableFuture<T> f) {
        clock.runUntilIdle();
        assertTrue(f.isDone(), "operation did not finish");
        return f;
    }

    @Test
    void aBurstOf503sShorterThanTheDeadlineIsInvisible() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1, 2, 3})));
        FaultRule burst = flaky.add(FaultRule.on(EnumSet.allOf(Op.class), ".*", first(6),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("k"))));
        long start = clock.nanoTime();
        CompletableFuture<ObjectData> get = store.get("k", ByteRange.all());
        assertFalse(get.isDone(), "first attempt failed, so the result waits for a retry");
        assertArrayEquals(new byte[] {1, 2, 3}, await(settle(get)).toByteArray());
        assertEquals(6, burst.acted());
        assertEquals(7, flaky.calls(Op.GET));
        assertTrue(clock.nanoTime() - start < POLICY.deadline().toNanos());
    }

    @Test
    void anAnswerAlreadyInIsHandedBackWithoutRetryBookkeeping() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1, 2, 3})));
        List<CompletableFuture<?>> fromStore = new ArrayList<>();
        ObjectStore recording = new ForwardingObjectStore(memory) {
            @Override
            public CompletableFuture<ObjectData> get(String key, ByteRange range) {
                CompletableFuture<ObjectData> f = delegate.get(key, range);
                fromStore.add(f);
                return f;
            }
        };
        RetryingObjectStore direct = new RetryingObjectStore(recording, POLICY, clock);
        CompletableFuture<ObjectData> get = direct.get("k", ByteRange.all());
        assertSame(fromStore.get(0), get, "the store's own answer, no stage or timer around it");
        assertEquals(0, clock.pending());
        assertArrayEquals(new byte[] {1, 2, 3}, await(get).toByteArray());
    }

    @Test
    void throttlingIsRetriedToo() {
        flaky.add(FaultRule.on(Op.PUT, ".*", first(3), FaultAction.fail(() -> FaultAction.slowDown("k"))));
        await(settle(store.put("k", ByteBuffer.wrap(new byte[] {9}))));
        assertEquals(4, flaky.calls(Op.PUT));
        assertEquals(1, await(memory.head("k")).size());
    }

    @Test
    void anOutageLongerThanTheDeadlineFailsWithAClearErrorAfterTheDeadline() {
        flaky.add(FaultRule.on(Op.PUT, ".*", always(), FaultAction.fail(() -> FaultAction.serviceUnavailable("k"))));
        long start = clock.nanoTime();
        CompletableFuture<Void> put = settle(store.put("k", ByteBuffer.wrap(new byte[] {1})));
        StorageException e = failure(StorageException.class, put);
        long elapsed = clock.nanoTime() - start;
        assertEquals(FailureCategory.TRANSIENT, e.category());
        assertTrue(e.getMessage().startsWith("PUT k failed after " + flaky.calls(Op.PUT) + " attempts in "), e.getMessage());
        assertTrue(e.getMessage().contains("(retry deadline 60000 ms): injected fault: 503"), e.getMessage());
        assertTrue(elapsed <= POLICY.deadline().toNanos(), "gave up only within the deadline");
        assertTrue(elapsed > POLICY.deadline().toNanos() - POLICY.maxBackoff().toNanos(), "kept trying until near the deadline");
        assertEquals(0, clock.pending());
    }

    @Test
    void backoffGrowsExponentiallyWithBoundedJitter() {
        flaky.add(FaultRule.on(Op.HEAD, ".*", always(), FaultAction.fail(() -> FaultAction.serviceUnavailable("k"))));
        settle(store.head("k"));
        List<Long> delays = clock.delays();
        assertTrue(delays.size() > 10, "delays=" + delays);
        for (int i = 0; i < delays.size(); i++) {
            long b = POLICY.backoffNanos(i + 1);
            assertTrue(delays.get(i) >= b / 2 && delays.get(i) <= b, "retry " + (i + 1) + " delay " + delays.get(i));
        }
        assertEquals(POLICY.maxBackoff().toNanos(), POLICY.backoffNanos(delays.size()));
    }

    @Test
    void accessDeniedFailsAtOnce() {
        StorageException denied = FaultAction.accessDenied("k");
        flaky.add(FaultRule.on(Op.GET, ".*", always(), FaultAction.fail(() -> denied)));
        CompletableFuture<ObjectData> get = store.get("k", ByteRange.all());
        assertTrue(get.isDone(), "no retry was scheduled");
        assertSame(denied, failure(StorageException.class, get));
        assertEquals(1, flaky.calls(Op.GET));
        assertEquals(0, clock.pending());
    }

    @Test
    void notFoundIsNotRetried() {
        failure(ObjectNotFoundException.class, store.get("nope", ByteRange.all()));
        assertEquals(1, flaky.calls(Op.GET));
        assertEquals(0, clock.pending());
    }

    @Test
    void aCreateThatAppliedBeforeItsFailureSucceedsOnRetry() {
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(1), FaultAction.failAfterApplying(() -> FaultAction.serviceUnavailable("seg/1"))));
        await(settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5}))));
        assertEquals(2, flaky.calls(Op.CREATE));
        assertEquals(1, flaky.calls(Op.GET), "read back once to tell our own write from another writer's");
        assertArrayEquals(new byte[] {4, 5}, await(memory.get("seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aCreateThatLostWhileRetryingIsFenced() {
        // Our first attempt fails without applying, and meanwhile another writer creates the key.
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(1), FaultAction.runThenFail(
                () -> await(memory.create("seg/1", ByteBuffer.wrap(new byte[] {6}))),
                () -> FaultAction.serviceUnavailable("seg/1"))));
        ObjectExistsException e = failure(ObjectExistsException.class, settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4}))));
        assertEquals("seg/1", e.key());
        assertArrayEquals(new byte[] {6}, await(memory.get("seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aCreateOfAnExistingKeyWithoutEarlierFailureFailsWithoutReadingBack() {
        await(memory.create("seg/1", ByteBuffer.wrap(new byte[] {4})));
        failure(ObjectExistsException.class, store.create("seg/1", ByteBuffer.wrap(new byte[] {4})));
        assertEquals(0, flaky.calls(Op.GET));
    }

    // --- attempt timeouts -------------------------------------------------------------------------------------

    /** The timeout of an attempt moving {@code bytes}, under {@link #POLICY}. */
    private static long timeoutNanos(long bytes) {
        return POLICY.attemptTimeoutNanos(bytes);
    }

    @Test
    void aStalledAttemptTimesOutAndTheRetrySucceeds() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1, 2, 3})));
        FaultRule stall = flaky.add(FaultRule.on(Op.GET, ".*", first(1), FaultAction.hold()));
        long start = clock.nanoTime();
        CompletableFuture<ObjectData> get = store.get("k", ByteRange.of(0, 3));
        assertFalse(get.isDone());
        assertEquals(1, clock.pending(), "only the attempt's timeout is waiting");
        assertArrayEquals(new byte[] {1, 2, 3}, await(settle(get)).toByteArray());
        assertEquals(1, stall.acted());
        assertEquals(2, flaky.calls(Op.GET));
        long elapsed = clock.nanoTime() - start;
        assertTrue(elapsed >= timeoutNanos(3) && elapsed <= timeoutNanos(3) + POLICY.backoffNanos(1),
                "retried right after the timeout, elapsed=" + elapsed);
        assertEquals(0, clock.pending(), "the successful attempt's timeout was cancelled");
    }

    @Test
    void aTimedOutAttemptIsCancelledAndItsLateResultIgnored() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1})));
        List<CompletableFuture<?>> stalled = new ArrayList<>();
        flaky.add(FaultRule.on(Op.GET, ".*", first(1), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                Uncancellable<T> f = new Uncancellable<>();
                stalled.add(f);
                return f;
            }
        }));
        CompletableFuture<ObjectData> get = store.get("k", ByteRange.all());
        await(settle(get));
        Uncancellable<?> first = (Uncancellable<?>) stalled.get(0);
        assertTrue(first.cancelRequested, "the timed-out attempt was cancelled");
        // The stalled attempt answers late, with other bytes: the operation's result stands.
        @SuppressWarnings("unchecked")
        Uncancellable<ObjectData> late = (Uncancellable<ObjectData>) first;
        late.complete(new ObjectData(ByteBuffer.wrap(new byte[] {9, 9}), 0, 2));
        assertArrayEquals(new byte[] {1}, await(get).toByteArray());
        assertEquals(2, flaky.calls(Op.GET));
    }

    @Test
    void aTimedOutAttemptsReaderNeverRunsAndTheRetrysDoes() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1})));
        List<Uncancellable<ObjectData>> stalled = stallFirstGet();
        List<Byte> seen = new ArrayList<>();
        CompletableFuture<Integer> read = store.read("k", ByteRange.all(), d -> {
            seen.add(d.data().get(d.data().position()));
            return d.length();
        });
        assertEquals(1, await(settle(read)));
        assertEquals(List.of((byte) 1), seen, "only the retry's reader ran");
        // The timed-out attempt answers late: its reader (which might write into memory the caller has reused) must
        // not run.
        stalled.get(0).complete(new ObjectData(ByteBuffer.wrap(new byte[] {9, 9}), 0, 2));
        assertEquals(List.of((byte) 1), seen, "a timed-out attempt's reader ran");
        assertEquals(2, flaky.calls(Op.GET));
    }

    @Test
    void anAttemptWhoseReaderIsRunningDoesNotTimeOut() {
        await(memory.put("k", ByteBuffer.wrap(new byte[] {1, 2})));
        List<Uncancellable<ObjectData>> stalled = stallFirstGet();
        AtomicInteger readers = new AtomicInteger();
        CompletableFuture<Integer> read = store.read("k", ByteRange.all(), d -> {
            readers.incrementAndGet();
            clock.runUntilIdle(); // the attempt's timeout comes due while the reader works
            return d.length();
        });
        assertEquals(1, clock.pending(), "the attempt's timeout is waiting");
        stalled.get(0).complete(new ObjectData(ByteBuffer.wrap(new byte[] {7, 7, 7}), 0, 3));
        assertEquals(3, await(settle(read)), "the attempt whose reader ran was not given up");
        assertEquals(1, readers.get());
        assertEquals(1, flaky.calls(Op.GET), "no retry was sent");
    }

    /** The first GET gets a future that never completes by itself and ignores cancel; returned to complete later. */
    private List<Uncancellable<ObjectData>> stallFirstGet() {
        List<Uncancellable<ObjectData>> stalled = new ArrayList<>();
        flaky.add(FaultRule.on(Op.GET, ".*", first(1), new FaultAction() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                Uncancellable<ObjectData> f = new Uncancellable<>();
                stalled.add(f);
                return (CompletableFuture<T>) f;
            }
        }));
        return stalled;
    }

    /** A future that ignores cancel, like a store that cannot abort a request. */
    private static final class Uncancellable<T> extends CompletableFuture<T> {
        volatile boolean cancelRequested;

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelRequested = true;
            return false;
        }
    }

    @Test
    void theAttemptTimeoutGrowsWithThePayload() {
        flaky.add(FaultRule.on(EnumSet.of(Op.PUT, Op.GET), ".*", first(1), FaultAction.hold()));
        int mib = 1 << 20;
        await(settle(store.put("big", ByteBuffer.allocate(mib))));
        assertEquals(Duration.ofSeconds(11).toNanos(), clock.delays().get(0), "10 s base plus 1 MiB at 1 MiB/s");
        assertEquals(timeoutNanos(mib), clock.delays().get(0));

        flaky.clearRules();
        flaky.add(FaultRule.on(Op.GET, ".*", first(1), FaultAction.hold()));
        int before = clock.delays().size();
        await(settle(store.get("big", ByteRange.all())));
        assertEquals(timeoutNanos(RetryingObjectStore.UNSIZED_READ_BYTES), clock.delays().get(before),
                "a whole-object read is timed as a read of the assumed size");
    }

    @Test
    void aStalledCreateThatAppliedSucceedsByReadingBack() {
        // The first attempt lands, then its connection stalls: no reply ever comes.
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(1), FaultAction.applyThenHold()));
        await(settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5}))));
        assertEquals(2, flaky.calls(Op.CREATE), "retried after the timeout, met its own object");
        assertEquals(1, flaky.calls(Op.GET), "read back once to tell our own write from another writer's");
        assertArrayEquals(new byte[] {4, 5}, await(memory.get("seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aStalledCreateThatAnotherWriterBeatIsFenced() {
        // Our first attempt stalls without applying; meanwhile another writer creates the key.
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(1), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                await(memory.create(key, ByteBuffer.wrap(new byte[] {6})));
                return new CompletableFuture<>();
            }
        }));
        ObjectExistsException e = failure(ObjectExistsException.class, settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4}))));
        assertEquals("seg/1", e.key());
        assertEquals(1, flaky.calls(Op.GET));
        assertArrayEquals(new byte[] {6}, await(memory.get("seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void aStoreThatStallsForeverFailsTransientAfterTheDeadline() {
        flaky.add(FaultRule.on(Op.PUT, ".*", always(), FaultAction.hold()));
        long start = clock.nanoTime();
        CompletableFuture<Void> put = settle(store.put("k", ByteBuffer.wrap(new byte[] {1})));
        StorageException e = failure(StorageException.class, put);
        long elapsed = clock.nanoTime() - start;
        long attempts = flaky.calls(Op.PUT);
        assertEquals(FailureCategory.TRANSIENT, e.category());
        assertEquals("k", e.key());
        assertTrue(e.getMessage().startsWith("PUT k failed after " + attempts + " attempts in "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(retry deadline 60000 ms): PUT k: attempt " + attempts
                + " got no answer within " + timeoutNanos(1) / 1_000_000 + " ms"), e.getMessage());
        assertTrue(attempts >= 5, "kept retrying until the deadline: attempts=" + attempts);
        assertTrue(elapsed > POLICY.deadline().toNanos(), "gave up after the deadline");
        assertTrue(elapsed <= POLICY.deadline().toNanos() + timeoutNanos(1), "and within one attempt timeout of it");
        assertEquals(0, clock.pending());
        assertNull(await(memory.head("k")));
    }

    @Test
    void argumentErrorsAreThrownNotRetried() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.put("/bad", ByteBuffer.allocate(1)));
        assertTrue(e.getMessage().startsWith("key "), e.getMessage());
        assertEquals("data must not be null",
                assertThrows(IllegalArgumentException.class, () -> store.create("k", null)).getMessage());
        assertEquals(0, clock.pending());
    }

    @Test
    void anExistsThatMayBeTheStoresOwnResentWriteIsReadBack() {
        // Like the S3 client's own retry: the first try lands, the resent one meets 412, and the store says so.
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(2), new FaultAction() {
            @Override
            public <T> CompletableFuture<T> apply(Op op, String key, Supplier<CompletableFuture<T>> proceed) {
                return proceed.get().handle((v, e) -> {
                    throw new CompletionException(ObjectExistsException.mayBeOwnWrite(key, e));
                });
            }
        }));
        await(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5})));
        assertEquals(1, flaky.calls(Op.GET), "read back");
        // A second create of the same key with other bytes: the store again says "maybe ours", and it is not.
        ObjectExistsException e = failure(ObjectExistsException.class, store.create("seg/1", ByteBuffer.wrap(new byte[] {6})));
        assertEquals("object already exists: seg/1", e.getMessage());
        assertFalse(e.mayBeOwnWrite(), "settled: another writer's object");
        assertArrayEquals(new byte[] {4, 5}, await(memory.get("seg/1", ByteRange.all())).toByteArray());
    }

    @Test
    void reSendingACreateThatFailedAfterApplyingFindsItsOwnObject() {
        // Every attempt lands and then reports 503, until the deadline: the create fails, but the object is there.
        FaultRule outage = flaky.add(FaultRule.on(Op.CREATE, ".*", always(),
                FaultAction.failAfterApplying(() -> FaultAction.serviceUnavailable("seg/1"))));
        StorageException failed = failure(StorageException.class, settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5}))));
        assertEquals(FailureCategory.TRANSIENT, failed.category());
        flaky.remove(outage);
        // The caller re-sends the same upload later (a volume keeps a failed segment and tries again).
        await(settle(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5}))));
        // Settled: another create now meets a plain conflict.
        long gets = flaky.calls(Op.GET);
        failure(ObjectExistsException.class, store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5})));
        assertEquals(gets, flaky.calls(Op.GET), "no read-back once the outcome is known");
    }

    @Test
    void aReSendFromTheFailuresOwnCallbackFindsItsOwnObject() {
        // The caller re-sends as soon as it sees the failure, on the thread that completed it: the store must already
        // know then that the failed create may have applied, or the re-send meets its own object as a conflict.
        FaultRule outage = flaky.add(FaultRule.on(Op.CREATE, ".*", always(),
                FaultAction.failAfterApplying(() -> FaultAction.serviceUnavailable("seg/1"))));
        CompletableFuture<CompletableFuture<Void>> reSent = new CompletableFuture<>();
        store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5})).whenComplete((v, failure) -> {
            flaky.remove(outage);
            reSent.complete(store.create("seg/1", ByteBuffer.wrap(new byte[] {4, 5})));
        });
        clock.runUntilIdle();
        assertTrue(reSent.isDone(), "the first create did not fail");
        await(settle(reSent.join()));
    }

    @Test
    void reSendingAfterAnotherWriterTookTheKeyIsAConflict() {
        // With a zero deadline, a stalled first attempt ends the call after one timeout, outcome unknown.
        RetryingObjectStore once = new RetryingObjectStore(flaky, POLICY.withDeadline(Duration.ZERO), clock);
        flaky.add(FaultRule.on(Op.CREATE, ".*", first(1), FaultAction.hold()));
        failure(StorageException.class, settle(once.create("seg/1", ByteBuffer.wrap(new byte[] {4}))));
        await(memory.create("seg/1", ByteBuffer.wrap(new byte[] {7})));
        ObjectExistsException e = failure(ObjectExistsException.class, settle(once.create("seg/1", ByteBuffer.wrap(new byte[] {4}))));
        assertEquals("seg/1", e.key());
        assertEquals(1, flaky.calls(Op.GET), "read back, found another writer's bytes");
    }
}
