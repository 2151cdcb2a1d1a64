package io.hyperfile.core.store.fault;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.VirtualScheduler;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class FlakyObjectStoreTest {
    private final InMemoryObjectStore memory = new InMemoryObjectStore();
    private final FlakyObjectStore flaky = new FlakyObjectStore(memory);

    private static ByteBuffer bytes(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length);
        for (int v : values) {
            b.put((byte) v);
        }
        return b.flip();
    }

    @Test
    void ruleActsOnlyOnItsNthMatchingCall() {
        StorageException boom = FaultAction.serviceUnavailable("seg/2");
        FaultRule rule = flaky.add(FaultRule.on(Op.CREATE, "seg/.*", FaultRule.nth(2), FaultAction.fail(() -> boom)));
        await(flaky.put("other", bytes(1)));
        await(flaky.create("seg/1", bytes(1)));
        assertSame(boom, failure(StorageException.class, flaky.create("seg/2", bytes(2))));
        await(flaky.create("seg/3", bytes(3)));
        assertEquals(3, rule.matched());
        assertEquals(1, rule.acted());
        assertNull(await(memory.head("seg/2")), "a failed-before call never reaches the store");
    }

    @Test
    void failAfterApplyingReachesTheStore() {
        flaky.add(FaultRule.on(Op.PUT, ".*", FaultRule.always(), FaultAction.failAfterApplying(() -> FaultAction.serviceUnavailable("a"))));
        failure(StorageException.class, flaky.put("a", bytes(7)));
        assertArrayEquals(new byte[] {7}, await(memory.get("a", ByteRange.all())).toByteArray());
    }

    @Test
    void holdDelaysTheCallUntilReleased() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        flaky.add(FaultRule.on(Op.PUT, ".*", FaultRule.always(), FaultAction.holdUntil(gate)));
        CompletableFuture<Void> put = flaky.put("a", bytes(1));
        assertFalse(put.isDone());
        assertNull(await(memory.head("a")));
        gate.complete(null);
        await(put);
        assertEquals(1, await(memory.head("a")).size());
    }

    @Test
    void delayUsesTheSchedulersClock() {
        VirtualScheduler clock = new VirtualScheduler();
        flaky.add(FaultRule.on(Op.HEAD, ".*", FaultRule.always(), FaultAction.delay(Duration.ofSeconds(3), clock)));
        long start = clock.nanoTime();
        CompletableFuture<?> head = flaky.head("a");
        assertFalse(head.isDone());
        clock.runUntilIdle();
        assertTrue(head.isDone());
        assertEquals(Duration.ofSeconds(3).toNanos(), clock.nanoTime() - start);
    }

    @Test
    void storeWideRuleCountsEveryCallAndCountersAddUp() {
        flaky.add(FaultRule.onStoreCall(FaultRule.after(3), FaultAction.fail(() -> FaultAction.accessDenied("x"))));
        await(flaky.put("a", bytes(1, 2)));
        await(flaky.get("a", ByteRange.all()));
        await(flaky.head("a"));
        failure(StorageException.class, flaky.list("", null, 10));
        failure(StorageException.class, flaky.delete("a"));
        assertEquals(5, flaky.totalCalls());
        assertEquals(1, flaky.calls(Op.PUT));
        assertEquals(1, flaky.calls(Op.LIST));
        assertEquals(2, flaky.bytesWritten());
        assertEquals(2, flaky.bytesRead());
        flaky.clearRules();
        await(flaky.delete("a"));
    }
}
