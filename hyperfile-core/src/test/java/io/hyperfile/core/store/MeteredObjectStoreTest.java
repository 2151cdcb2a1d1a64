package io.hyperfile.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** {@link MeteredObjectStore}: what it counts per op and failure kind, and the durations it reports. */
class MeteredObjectStoreTest {
    private final StoreStats stats = new StoreStats();
    private final List<String> durations = new ArrayList<>();
    private long now;

    private ObjectStore metered(ObjectStore backend) {
        stats.observeLatency((op, nanos, failed) -> durations.add(op.label() + " " + nanos + (failed ? " failed" : "")));
        return new MeteredObjectStore(backend, stats, () -> now);
    }

    private static ByteBuffer bytes(int n) {
        return ByteBuffer.wrap(new byte[n]);
    }

    @Test
    void countsEachRequestPerOpAndTimesItUntilItCompletes() {
        CompletableFuture<Object> gate = new CompletableFuture<>();
        FlakyObjectStore flaky = new FlakyObjectStore(new InMemoryObjectStore());
        flaky.add(FaultRule.on(FlakyObjectStore.Op.PUT, "slow", FaultRule.always(), FaultAction.holdUntil(gate)));
        ObjectStore store = metered(flaky);

        store.create("a", bytes(10)).join();
        store.get("a", ByteRange.all()).join();
        store.head("a").join();
        CompletableFuture<Void> slow = store.put("slow", bytes(3));
        assertEquals(1, stats.requests(StoreOp.PUT), "counted when sent");
        now = 7_000;
        gate.complete(null);
        slow.join();
        store.list("", null, 10).join();
        store.deleteAll(List.of("a", "slow")).join();

        assertEquals(1, stats.requests(StoreOp.CREATE));
        assertEquals(1, stats.requests(StoreOp.GET));
        assertEquals(1, stats.requests(StoreOp.HEAD));
        assertEquals(1, stats.requests(StoreOp.LIST));
        assertEquals(1, stats.requests(StoreOp.DELETE_ALL));
        assertEquals(0, stats.requests(StoreOp.DELETE));
        assertEquals(List.of("create 0", "get 0", "head 0", "put 7000", "list 0", "delete_all 0"), durations);
    }

    @Test
    void failuresCountByCategoryAndOtherFailuresAsOther() {
        FlakyObjectStore flaky = new FlakyObjectStore(new InMemoryObjectStore());
        flaky.add(FaultRule.on(FlakyObjectStore.Op.GET, "down", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("down"))));
        flaky.add(FaultRule.on(FlakyObjectStore.Op.HEAD, "odd", FaultRule.always(), FaultAction.fail(IllegalStateException::new)));
        ObjectStore store = metered(flaky);

        store.create("x", bytes(1)).join();
        assertThrows(CompletionException.class, () -> store.create("x", bytes(1)).join());
        assertThrows(CompletionException.class, () -> store.get("missing", ByteRange.all()).join());
        assertThrows(CompletionException.class, () -> store.get("down", ByteRange.all()).join());
        assertThrows(CompletionException.class, () -> store.head("odd").join());

        assertEquals(1, stats.errors(StoreOp.CREATE, FailureCategory.PRECONDITION));
        assertEquals(1, stats.errors(StoreOp.GET, FailureCategory.NOT_FOUND));
        assertEquals(1, stats.errors(StoreOp.GET, FailureCategory.TRANSIENT), "503 is transient");
        assertEquals(1, stats.errors(StoreOp.HEAD, null));
        assertEquals(0, stats.errors(StoreOp.HEAD, FailureCategory.UNKNOWN));
        assertEquals(List.of("create 0", "create 0 failed", "get 0 failed", "get 0 failed", "head 0 failed"), durations);
    }

    @Test
    void anInvalidArgumentIsStillThrownAndCountsAsAFailure() {
        ObjectStore store = metered(new InMemoryObjectStore());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put("k", null));
        assertTrue(e.getMessage().contains("data must not be null"), e.getMessage());
        assertEquals(1, stats.requests(StoreOp.PUT));
        assertEquals(1, stats.errors(StoreOp.PUT, null));
    }

    @Test
    void aReadIsAGetAndItsReadersFailureIsNotTheStores() {
        FlakyObjectStore flaky = new FlakyObjectStore(new InMemoryObjectStore());
        flaky.add(FaultRule.on(FlakyObjectStore.Op.GET, "down", FaultRule.always(),
                FaultAction.fail(() -> FaultAction.serviceUnavailable("down"))));
        ObjectStore store = metered(flaky);
        store.create("a", bytes(10)).join();

        assertEquals(10, store.read("a", ByteRange.all(), ObjectData::length).join());
        assertThrows(CompletionException.class, () -> store.read("a", ByteRange.all(), d -> {
            throw new IllegalStateException("the reader's own failure");
        }).join());
        assertThrows(CompletionException.class, () -> store.read("down", ByteRange.all(), ObjectData::length).join());

        assertEquals(3, stats.requests(StoreOp.GET));
        assertEquals(1, stats.errors(StoreOp.GET, FailureCategory.TRANSIENT));
        assertEquals(0, stats.errors(StoreOp.GET, null), "the reader's failure was counted as the store's");
        assertEquals(List.of("create 0", "get 0", "get 0", "get 0 failed"), durations);
    }
}
