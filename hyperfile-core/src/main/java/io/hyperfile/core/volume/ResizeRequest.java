package io.hyperfile.core.volume;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.format.Crc32c;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectNotFoundException;
import io.hyperfile.core.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A request to the server that holds a volume to grow it ({@code P/resize}, docs/RESIZE.md): {@code volume resize}
 * writes it, the server applies it at its next export rescan and deletes it. It applies only while the volume still
 * has {@code fromSizeBytes}, so a request left over from an earlier resize never changes the size again. 44 bytes,
 * little-endian:
 *
 * <pre>
 * offset size field
 *   0     8   magic "HFRESIZE"
 *   8     2   version (1)
 *  10     2   flags (0)
 *  12     4   reserved (0)
 *  16     8   the volume's size when the request was written, in bytes
 *  24     8   the size asked for, in bytes
 *  32     8   when it was written, ms since the epoch
 *  40     4   CRC32C of bytes 0..39
 * </pre>
 */
public record ResizeRequest(long fromSizeBytes, long toSizeBytes, long requestedMillis) {
    public static final int BYTES = 44;
    static final int VERSION = 1;
    private static final byte[] MAGIC = "HFRESIZE".getBytes(StandardCharsets.US_ASCII);

    public static String key(String prefix) {
        return SegmentKeys.resizeRequest(SegmentKeys.normalizePrefix(prefix));
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putShort((short) VERSION).putShort((short) 0).putInt(0)
                .putLong(fromSizeBytes).putLong(toSizeBytes).putLong(requestedMillis);
        b.putInt(Crc32c.of(b.array(), 0, BYTES - 4));
        return b.flip();
    }

    /** Decodes a request; {@link CorruptionException} naming {@code key} for anything that is not one. */
    public static ResizeRequest decode(String key, ByteBuffer src) {
        ByteBuffer b = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int n = b.remaining();
        byte[] magic = new byte[MAGIC.length];
        if (n == BYTES) {
            b.get(0, magic);
        }
        if (n != BYTES || !Arrays.equals(MAGIC, magic)) {
            throw new CorruptionException(key, 0, "not a resize request (bad magic or " + n + " bytes, expected " + BYTES + ")");
        }
        int stored = b.getInt(BYTES - 4);
        int computed = Crc32c.ofRange(b, 0, BYTES - 4);
        if (stored != computed) {
            throw CorruptionException.checksum(key, BYTES - 4, "resize request", stored, computed);
        }
        int version = b.getShort(8) & 0xffff;
        if (version != VERSION || b.getShort(10) != 0 || b.getInt(12) != 0) {
            throw new CorruptionException(key, 8, "resize request version " + version + " or flags are not supported; this"
                    + " build reads version " + VERSION);
        }
        return new ResizeRequest(b.getLong(16), b.getLong(24), b.getLong(32));
    }

    /** The pending request of the volume under {@code prefix}, or empty; a corrupt one fails (CorruptionException). */
    public static CompletableFuture<Optional<ResizeRequest>> read(ObjectStore store, String prefix) {
        String key = key(prefix);
        return store.get(key, ByteRange.all()).handle((d, e) -> {
            if (e == null) {
                return Optional.of(decode(key, d.data()));
            }
            Throwable cause = Exceptions.unwrap(e);
            if (cause instanceof ObjectNotFoundException) {
                return Optional.<ResizeRequest>empty();
            }
            throw cause instanceof RuntimeException r ? r : new CompletionException(cause);
        });
    }

    /** Writes (or replaces) the volume's pending request. */
    public static CompletableFuture<Void> write(ObjectStore store, String prefix, ResizeRequest request) {
        return store.put(key(prefix), request.encode());
    }

    /** Deletes the volume's pending request (deleting none succeeds). */
    public static CompletableFuture<Void> delete(ObjectStore store, String prefix) {
        return store.delete(key(prefix));
    }
}
