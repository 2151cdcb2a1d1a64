package io.hyperfile.core.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link ReadScratch}: one buffer per thread, lent to one reader at a time, grown up to its limit and reused. */
class ReadScratchTest {

    @Test
    void lentOnceAtATimePerThread() throws Exception {
        ReadScratch s = ReadScratch.lend();
        assertNotNull(s);
        try {
            assertNull(ReadScratch.lend(), "lent twice on one thread");
            ReadScratch other = CompletableFuture.supplyAsync(() -> {
                ReadScratch o = ReadScratch.lend();
                ReadScratch.giveBack(o);
                return o;
            }).get();
            assertNotNull(other, "another thread has its own");
            assertNotSame(s, other);
        } finally {
            ReadScratch.giveBack(s);
        }
        ReadScratch again = ReadScratch.lend();
        assertSame(s, again, "given back, the same scratch is lent again");
        ReadScratch.giveBack(again);
        ReadScratch.giveBack(null);
    }

    @Test
    void buffersAreExactlyTheLengthAskedGrowingOnlyWhenNeeded() {
        ReadScratch s = ReadScratch.lend();
        try {
            ByteBuffer small = s.buffer(4100);
            assertEquals(0, small.position());
            assertEquals(4100, small.limit());
            assertEquals(4100, small.capacity());
            assertTrue(small.isDirect());
            int first = s.capacity();
            assertTrue(first >= 4100);
            s.buffer(first);
            assertEquals(first, s.capacity(), "a read that fits does not grow the scratch");
            ByteBuffer mib = s.buffer(1_049_600);
            assertEquals(1_049_600, mib.remaining());
            assertEquals(2 << 20, s.capacity(), "grown to the next power of two");
            assertEquals(ReadScratch.MAX_BYTES, s.buffer(ReadScratch.MAX_BYTES).capacity());
            assertNull(s.buffer(ReadScratch.MAX_BYTES + 1), "longer reads get no scratch");
            assertEquals(2 << 20, s.capacity());
        } finally {
            ReadScratch.giveBack(s);
        }
    }
}
