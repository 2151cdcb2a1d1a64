package io.hyperfile.core.format;

import java.util.Arrays;

/**
 * A growable byte array that appends little-endian fixed-width fields and {@link VarInts var-ints}. Start it with
 * the exact size when it is known and {@link #toByteArray()} returns the backing array without a copy.
 *
 * <p>Not thread-safe.
 */
public final class ByteWriter {
    private byte[] bytes;
    private int pos;

    public ByteWriter(int initialCapacity) {
        if (initialCapacity < 0) {
            throw new IllegalArgumentException("initialCapacity must be non-negative. initialCapacity=" + initialCapacity);
        }
        this.bytes = new byte[initialCapacity];
    }

    /** Forgets what was written (the array is kept, to be written again). */
    public ByteWriter clear() {
        pos = 0;
        return this;
    }

    /**
     * The backing array, whose first {@link #position()} bytes are what was written; valid until the next write or
     * {@link #clear}.
     */
    public byte[] array() {
        return bytes;
    }

    /** Bytes written so far. */
    public int position() {
        return pos;
    }

    public ByteWriter u8(int value) {
        ensure(1);
        bytes[pos++] = (byte) value;
        return this;
    }

    public ByteWriter u16(int value) {
        ensure(2);
        LittleEndian.putU16(bytes, pos, value);
        pos += 2;
        return this;
    }

    public ByteWriter i32(int value) {
        ensure(4);
        LittleEndian.putInt(bytes, pos, value);
        pos += 4;
        return this;
    }

    public ByteWriter i64(long value) {
        ensure(8);
        LittleEndian.putLong(bytes, pos, value);
        pos += 8;
        return this;
    }

    /** Appends {@code value}, read as unsigned, as a minimal LEB128 var-long. */
    public ByteWriter varLong(long value) {
        if (bytes.length - pos < VarInts.MAX_VAR_LONG_BYTES) { // else room for any value: no need to size this one
            ensure(VarInts.size(value));
        }
        pos = VarInts.put(bytes, pos, value);
        return this;
    }

    public ByteWriter bytes(byte[] src, int offset, int length) {
        ensure(length);
        System.arraycopy(src, offset, bytes, pos, length);
        pos += length;
        return this;
    }

    /** CRC32C of everything written so far. */
    public int crc32c() {
        return Crc32c.of(bytes, 0, pos);
    }

    /** The bytes written; the backing array itself when it is exactly full. */
    public byte[] toByteArray() {
        return pos == bytes.length ? bytes : Arrays.copyOf(bytes, pos);
    }

    private void ensure(int n) {
        if (bytes.length - pos < n) {
            bytes = Arrays.copyOf(bytes, Math.max(pos + n, Math.max(16, bytes.length * 2)));
        }
    }
}
