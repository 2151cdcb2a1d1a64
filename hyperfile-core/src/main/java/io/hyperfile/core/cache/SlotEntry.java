package io.hyperfile.core.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Where a cached chunk lives: its slot in the data file, its length (a full chunk, or less for the last chunk of an
 * object), the identity of the object it came from ({@link SegmentIdentity}: the segment header's writer id and the
 * size of the whole object, so a hit can answer {@link io.hyperfile.core.store.ObjectData#objectSize()} and clamp
 * at the end of the object without asking the store), and one CRC32C per <em>piece</em> of the chunk, so a hit
 * reads and checks only the pieces it needs. Stored in the index as {@link #bytes(int)} little-endian bytes (layout
 * version 3):
 *
 * <pre>
 * offset   size field
 *   0       4   slot number
 *   4       4   length in bytes (1..chunk size)
 *   8       4   piece size in bytes (a power of two; the same for every entry of a cache)
 *  12       4   reserved (0)
 *  16       8   object size in bytes
 *  24      16   writer id of the segment (UUID: most significant long, then least significant long)
 *  40     4×n   CRC32C of piece i (bytes [i × piece, min((i + 1) × piece, length)) of the chunk); 0 for pieces past
 *               the length. n = chunk size / piece size
 * </pre>
 *
 * <p>Decoding keeps the raw bytes and reads a piece's CRC and the writer id from them on demand: a hit decodes four
 * fields, compares the writer id in place and reads the CRCs of the pieces it touches, not all of them. Immutable.
 */
final class SlotEntry {
    static final int HEADER_BYTES = 40;
    private static final int WRITER_ID_AT = 24;

    private final byte[] raw;
    private final int slot;
    private final int length;
    private final int pieceSizeBytes;
    private final long objectSize;

    private SlotEntry(byte[] raw, int slot, int length, int pieceSizeBytes, long objectSize) {
        this.raw = raw;
        this.slot = slot;
        this.length = length;
        this.pieceSizeBytes = pieceSizeBytes;
        this.objectSize = objectSize;
    }

    /** The encoded size of an entry with {@code pieceCount} pieces. */
    static int bytes(int pieceCount) {
        return HEADER_BYTES + 4 * pieceCount;
    }

    /**
     * The entry of {@code chunk} (position to limit, 1..{@code pieceCount × pieceSizeBytes} bytes) of the object
     * {@code identity} names, cached in {@code slot}: computes the CRC32C of each piece.
     */
    static SlotEntry of(int slot, ByteBuffer chunk, SegmentIdentity identity, int pieceSizeBytes, int pieceCount) {
        int length = chunk.remaining();
        if (length < 1 || length > pieceCount * pieceSizeBytes) {
            throw new IllegalArgumentException("chunk length must be in 1.." + pieceCount * pieceSizeBytes + ". length=" + length);
        }
        ByteBuffer b = ByteBuffer.allocate(bytes(pieceCount)).order(ByteOrder.LITTLE_ENDIAN);
        long objectSize = identity.objectSize();
        b.putInt(slot).putInt(length).putInt(pieceSizeBytes).putInt(0).putLong(objectSize);
        b.putLong(identity.writerId().getMostSignificantBits()).putLong(identity.writerId().getLeastSignificantBits());
        CRC32C crc = new CRC32C();
        int base = chunk.position();
        // CRC32C.update(ByteBuffer) copies a read-only heap buffer into a new 4 KiB array per call (it cannot reach
        // the array): for such a chunk, one array for all its pieces.
        byte[] copy = chunk.isDirect() || chunk.hasArray() ? null : new byte[Math.min(length, pieceSizeBytes)];
        for (int from = 0; from < length; from += pieceSizeBytes) {
            int n = Math.min(length - from, pieceSizeBytes);
            crc.reset();
            if (copy == null) {
                crc.update(chunk.duplicate().position(base + from).limit(base + from + n));
            } else {
                chunk.get(base + from, copy, 0, n);
                crc.update(copy, 0, n);
            }
            b.putInt((int) crc.getValue());
        }
        byte[] raw = b.array();
        return new SlotEntry(raw, slot, length, pieceSizeBytes, objectSize);
    }

    /** The entry, or null if {@code bytes} cannot be one of a cache with pieces of {@code pieceSizeBytes}. */
    static SlotEntry decode(byte[] bytes, int pieceSizeBytes, int pieceCount) {
        if (bytes == null || bytes.length != bytes(pieceCount)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int slot = b.getInt(0);
        int length = b.getInt(4);
        if (b.getInt(8) != pieceSizeBytes) {
            return null;
        }
        return new SlotEntry(bytes, slot, length, pieceSizeBytes, b.getLong(16));
    }

    int slot() {
        return slot;
    }

    int length() {
        return length;
    }

    int pieceSizeBytes() {
        return pieceSizeBytes;
    }

    long objectSize() {
        return objectSize;
    }

    /** Whether this chunk came from the object {@code identity} names (same writer id and size). */
    boolean belongsTo(SegmentIdentity identity) {
        return identity != null && objectSize == identity.objectSize()
                && longAt(WRITER_ID_AT) == identity.writerId().getMostSignificantBits()
                && longAt(WRITER_ID_AT + 8) == identity.writerId().getLeastSignificantBits();
    }

    /** The stored CRC32C of piece {@code i}. */
    int pieceCrc(int i) {
        return intAt(HEADER_BYTES + 4 * i);
    }

    private int intAt(int at) {
        return (raw[at] & 0xff) | (raw[at + 1] & 0xff) << 8 | (raw[at + 2] & 0xff) << 16 | (raw[at + 3] & 0xff) << 24;
    }

    private long longAt(int at) {
        return (intAt(at) & 0xffffffffL) | (long) intAt(at + 4) << 32;
    }

    /** The encoded bytes (shared, not copied: do not modify). */
    byte[] encoded() {
        return raw;
    }

    @Override
    public String toString() {
        return "SlotEntry[slot=" + slot + ", length=" + length + ", pieceSizeBytes=" + pieceSizeBytes + ", objectSize="
                + objectSize + ", writerId=" + new java.util.UUID(longAt(WRITER_ID_AT), longAt(WRITER_ID_AT + 8)) + "]";
    }
}
