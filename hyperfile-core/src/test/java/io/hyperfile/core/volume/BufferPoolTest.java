package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Scenario 6 of issue 11: a failed allocation never leaks a slot of the write buffer. */
class BufferPoolTest {

    /** A pool whose next allocations fail as direct memory would when exhausted. */
    private static final class StarvedPool extends BufferPool {
        int failuresLeft;

        StarvedPool(int maxBuffers) {
            super(4096, maxBuffers);
        }

        @Override
        ByteBuffer allocate() {
            if (failuresLeft > 0) {
                failuresLeft--;
                throw new OutOfMemoryError("Cannot reserve 4096 bytes of direct buffer memory");
            }
            return ByteBuffer.allocate(4096);
        }
    }

    @Test
    void aFailedAllocationIsNotCountedAndTheNextOneWorks() throws Exception {
        StarvedPool pool = new StarvedPool(2);
        pool.failuresLeft = 5;
        for (int i = 0; i < 5; i++) {
            CompletableFuture<ByteBuffer> f = pool.acquire();
            assertTrue(f.isCompletedExceptionally(), "nothing in use to wait for: the writer gets the error");
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
            assertTrue(e.getCause() instanceof OutOfMemoryError);
            assertEquals(0, pool.outstanding());
        }
        // Before the fix each failure used up a slot: after two, every acquire waited forever.
        CompletableFuture<ByteBuffer> a = pool.acquire();
        CompletableFuture<ByteBuffer> b = pool.acquire();
        assertTrue(a.isDone() && !a.isCompletedExceptionally());
        assertTrue(b.isDone() && !b.isCompletedExceptionally());
        assertEquals(2, pool.outstanding());
    }

    @Test
    void whenBuffersAreInUseAFailedAllocationWaitsForOneToComeBack() {
        StarvedPool pool = new StarvedPool(4);
        ByteBuffer first = pool.acquire().join();
        pool.failuresLeft = 1;
        CompletableFuture<ByteBuffer> waiting = pool.acquire();
        assertFalse(waiting.isDone());
        assertEquals(1, pool.outstanding());
        pool.release(first);
        assertSame(first, waiting.join());
        assertEquals(1, pool.outstanding());
    }
}
