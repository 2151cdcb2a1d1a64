package io.hyperfile.core.stack;

import static io.hyperfile.core.store.StoreTesting.await;
import static io.hyperfile.core.store.StoreTesting.failure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.cache.CacheConfig;
import io.hyperfile.core.cache.CachingObjectStore;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.store.VirtualScheduler;
import io.hyperfile.core.store.fault.FaultAction;
import io.hyperfile.core.store.fault.FaultRule;
import io.hyperfile.core.store.fault.FlakyObjectStore;
import io.hyperfile.core.store.fault.FlakyObjectStore.Op;
import io.hyperfile.core.store.local.LocalDirectoryObjectStore;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreStackTest {
    @TempDir
    Path dir;

    @Test
    void aLocalDirectoryGetsTheRetryLayerToo() {
        try (ObjectStore store = StoreStack.localDirectory(dir.resolve("store")).open()) {
            RetryingObjectStore retrying = assertInstanceOf(RetryingObjectStore.class, store);
            LocalDirectoryObjectStore local = assertInstanceOf(LocalDirectoryObjectStore.class, retrying.delegate());
            assertEquals(dir.resolve("store"), local.root());
            assertSame(RetryPolicy.DEFAULT, retrying.policy());
            await(store.put("a", ByteBuffer.wrap(new byte[] {1})));
            assertArrayEquals(new byte[] {1}, await(store.get("a", ByteRange.all())).toByteArray());
        }
    }

    @Test
    void theCacheIsOutermostAndClosingTheTopClosesEveryLayer() {
        InMemoryObjectStore memory = new InMemoryObjectStore();
        ObjectStore store = StoreStack.of(memory).cache(CacheConfig.builder(dir.resolve("cache"), 1 << 20).build()).open();
        CachingObjectStore cache = assertInstanceOf(CachingObjectStore.class, store);
        assertTrue(store.toString().startsWith("Caching[Retrying[" + memory + "], "), store.toString());
        await(cache.opened());
        store.close();
        failure(IllegalStateException.class, memory.get("a", ByteRange.all()));
    }

    @Test
    void theRetryPolicyAndSchedulerReachTheRetryLayer() {
        FlakyObjectStore flaky = new FlakyObjectStore(new InMemoryObjectStore());
        flaky.add(FaultRule.on(Op.HEAD, ".*", FaultRule.always(), FaultAction.hold()));
        VirtualScheduler clock = new VirtualScheduler();
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5))
                .withAttemptTimeout(Duration.ofSeconds(2), 1 << 20);
        try (ObjectStore store = StoreStack.of(flaky).retryPolicy(policy).scheduler(clock).open()) {
            CompletableFuture<?> head = store.head("k");
            clock.runUntilIdle();
            StorageException e = failure(StorageException.class, head);
            assertEquals(FailureCategory.TRANSIENT, e.category());
            assertTrue(e.getMessage().endsWith("got no answer within 2000 ms"), e.getMessage());
            assertEquals(3, flaky.calls(Op.HEAD), "attempts at 0 s, about 2 s and about 4 s; none after the 5 s deadline");
        }
    }
}
