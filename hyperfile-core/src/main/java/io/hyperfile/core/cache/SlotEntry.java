package io.hyperfile.core.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Where a cached chunk lives: its slot in the data file, its length (a full chunk, or less for the last chunk of an
 * object), the CRC32C of its bytes, and the size of the whole object it came from (so a hit can answer
 * {@link io.hyperfile.core.store.ObjectData#objectSize()} and clamp at the end of the object without asking the
 * store). Stored in the index as {@link #BYTES} little-endian bytes:
 *
 * <pre>
 * offset size field
 *   0     4   slot number
 *   4     4   length in bytes (1..chunk size)
 *   8     4   CRC32C of the chunk's bytes
 *  12     4   reserved (0)
 *  16     8   object size in bytes
 * </pre>
 */
record SlotEntry(int slot, int length, int crc, long objectSize) {
    static final int BYTES = 24;

    byte[] encode() {
        byte[] b = new byte[BYTES];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(slot).putInt(length).putInt(crc).putInt(0).putLong(objectSize);
        return b;
    }

    /** The entry, or null if {@code bytes} cannot be one (wrong length). */
    static SlotEntry decode(byte[] bytes) {
        if (bytes == null || bytes.length != BYTES) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int slot = b.getInt();
        int length = b.getInt();
        int crc = b.getInt();
        b.getInt();
        return new SlotEntry(slot, length, crc, b.getLong());
    }
}
