package io.hyperfile.core.format;

/**
 * Unsigned LEB128 var-ints: seven bits per byte, least significant group first, the high bit of each byte set when
 * another byte follows. A 64-bit value takes 1 to {@value #MAX_VAR_LONG_BYTES} bytes. Writers always produce the
 * shortest encoding and {@link ByteReader#varLong()} rejects any other, so every value has exactly one encoding.
 *
 * <p>Examples: {@code 0 -> 00}, {@code 127 -> 7f}, {@code 128 -> 80 01}, {@code 300 -> ac 02}.
 */
public final class VarInts {
    /** The most bytes a var-long takes (for values with bit 63 set). */
    public static final int MAX_VAR_LONG_BYTES = 10;

    private VarInts() {
    }

    /** Bytes the encoding of {@code value}, read as unsigned, takes. */
    public static int size(long value) {
        return value == 0 ? 1 : (63 - Long.numberOfLeadingZeros(value)) / 7 + 1;
    }

    /**
     * Writes {@code value} (unsigned) at {@code offset} and returns the offset just after it. Values below 2^14 (most
     * fields of an index node: gaps, run lengths, segment numbers and block offsets) take a path without a loop.
     */
    public static int put(byte[] bytes, int offset, long value) {
        if ((value & ~0x7FL) == 0) {
            bytes[offset] = (byte) value;
            return offset + 1;
        }
        if ((value & ~0x3FFFL) == 0) {
            bytes[offset] = (byte) (value | 0x80);
            bytes[offset + 1] = (byte) (value >>> 7);
            return offset + 2;
        }
        int pos = offset;
        long v = value;
        while ((v & ~0x7FL) != 0) {
            bytes[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        bytes[pos++] = (byte) v;
        return pos;
    }
}
