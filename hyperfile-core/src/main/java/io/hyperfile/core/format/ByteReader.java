package io.hyperfile.core.format;

/**
 * A cursor that reads little-endian fixed-width fields and {@link VarInts var-ints} from a range of a byte array.
 * Reading past the end of the range throws {@link FormatException} (never {@link IndexOutOfBoundsException}), so a
 * codec can treat every failure as "malformed input".
 *
 * <p>Not thread-safe. Does not copy the array: the caller must not change it while reading.
 */
public final class ByteReader {
    private final byte[] bytes;
    private final int start;
    private final int limit;
    private int pos;

    /** Reads {@code bytes[offset, offset + length)}. */
    public ByteReader(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new IllegalArgumentException(
                    "range out of bounds. offset=%s, length=%s, array=%s".formatted(offset, length, bytes.length));
        }
        this.bytes = bytes;
        this.start = offset;
        this.limit = offset + length;
        this.pos = offset;
    }

    public ByteReader(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    /** Position relative to the start of the range. */
    public int position() {
        return pos - start;
    }

    public int remaining() {
        return limit - pos;
    }

    public int u8() {
        need(1);
        return bytes[pos++] & 0xFF;
    }

    public int u16() {
        need(2);
        int v = LittleEndian.getU16(bytes, pos);
        pos += 2;
        return v;
    }

    public int i32() {
        need(4);
        int v = LittleEndian.getInt(bytes, pos);
        pos += 4;
        return v;
    }

    public long i64() {
        need(8);
        long v = LittleEndian.getLong(bytes, pos);
        pos += 8;
        return v;
    }

    /** An unsigned LEB128 var-long; rejects encodings longer than needed and values above 64 bits. */
    public long varLong() {
        int at = position();
        long result = 0;
        for (int i = 0; i < VarInts.MAX_VAR_LONG_BYTES; i++) {
            if (pos >= limit) {
                throw new FormatException("truncated var-int at position " + at);
            }
            int b = bytes[pos++] & 0xFF;
            if (i == VarInts.MAX_VAR_LONG_BYTES - 1 && b > 1) {
                throw new FormatException("var-int longer than 64 bits at position " + at);
            }
            result |= (long) (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) {
                if (b == 0 && i > 0) {
                    throw new FormatException("var-int not minimally encoded at position " + at);
                }
                return result;
            }
        }
        throw new FormatException("var-int longer than 64 bits at position " + at);
    }

    private void need(int n) {
        if (limit - pos < n) {
            throw new FormatException(
                    "truncated: need %d bytes at position %d, %d left".formatted(n, position(), limit - pos));
        }
    }
}
