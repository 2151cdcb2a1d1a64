package io.hyperfile.core.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) checksums, the one checksum of every Hyperfile format. Backed by {@link CRC32C}, which the
 * JDK implements with the SSE4.2/ARMv8 CRC instructions where they exist. Stateless and thread-safe.
 */
public final class Crc32c {
    private Crc32c() {
    }

    /** CRC32C of {@code length} bytes of {@code bytes} starting at {@code offset}, as a 32-bit int. */
    public static int of(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** CRC32C of all of {@code bytes}. */
    public static int of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    /** CRC32C of the bytes {@code [from, to)} of {@code buffer} (absolute indexes); the buffer does not change. */
    public static int ofRange(ByteBuffer buffer, long from, long to) {
        return of(buffer.duplicate().limit((int) to).position((int) from));
    }

    /** CRC32C of the bytes between position and limit of {@code buffer}; the buffer's position does not move. */
    public static int of(ByteBuffer buffer) {
        CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate());
        return (int) crc.getValue();
    }
}
