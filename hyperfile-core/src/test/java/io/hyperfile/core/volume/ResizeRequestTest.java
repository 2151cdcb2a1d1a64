package io.hyperfile.core.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The {@code P/resize} codec (docs/FORMAT.md) and its store helpers. */
class ResizeRequestTest {
    private static final ResizeRequest REQUEST = new ResizeRequest(1L << 20, 3L << 20, 1_700_000_000_123L);

    @Test
    void encodesTheDocumentedLayoutAndDecodesBack() {
        ByteBuffer b = REQUEST.encode();
        assertEquals(ResizeRequest.BYTES, b.remaining());
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        le.get(0, magic);
        assertEquals("HFRESIZE", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, le.getShort(8));
        assertEquals(1L << 20, le.getLong(16));
        assertEquals(3L << 20, le.getLong(24));
        assertEquals(1_700_000_000_123L, le.getLong(32));
        assertEquals(REQUEST, ResizeRequest.decode("v/resize", b));
    }

    @Test
    void everyFlippedByteAndEveryWrongLengthIsCorruption() {
        byte[] good = new byte[ResizeRequest.BYTES];
        REQUEST.encode().get(good);
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            CorruptionException e = assertThrows(CorruptionException.class, () -> ResizeRequest.decode("v/resize", ByteBuffer.wrap(bad)),
                    "byte " + i);
            assertTrue(e.getMessage().contains("v/resize"), e.getMessage());
        }
        for (int n : new int[] {0, 43, 45}) {
            byte[] wrong = java.util.Arrays.copyOf(good, n);
            assertThrows(CorruptionException.class, () -> ResizeRequest.decode("v/resize", ByteBuffer.wrap(wrong)), n + " bytes");
        }
    }

    @Test
    void writeReadDeleteOnAStore() {
        InMemoryObjectStore store = new InMemoryObjectStore();
        assertEquals(Optional.empty(), ResizeRequest.read(store, "v").join());
        ResizeRequest.write(store, "v", REQUEST).join();
        assertEquals(Optional.of(REQUEST), ResizeRequest.read(store, "v/").join());
        ResizeRequest.delete(store, "v").join();
        assertEquals(Optional.empty(), ResizeRequest.read(store, "v").join());
        ResizeRequest.delete(store, "v").join(); // none: still fine

        store.put("v/resize", ByteBuffer.wrap(new byte[] {1, 2, 3})).join();
        CompletionException e = assertThrows(CompletionException.class, () -> ResizeRequest.read(store, "v").join());
        assertTrue(Exceptions.unwrap(e) instanceof CorruptionException, e.toString());
    }
}
