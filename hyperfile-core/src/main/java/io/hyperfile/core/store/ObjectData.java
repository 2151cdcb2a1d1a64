package io.hyperfile.core.store;

import java.nio.ByteBuffer;

/**
 * The bytes a {@link ObjectStore#get get} returned: {@code data} holds the object's bytes from {@code offset}
 * (absolute position in the object) for {@code data.remaining()} bytes, and {@code objectSize} is the size of
 * the whole object. The buffer belongs to the caller; it may be read-only (a store may hand out a view of bytes
 * it keeps).
 */
public record ObjectData(ByteBuffer data, long offset, long objectSize) {

    public int length() {
        return data.remaining();
    }

    /** A copy of the returned bytes. */
    public byte[] toByteArray() {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return bytes;
    }
}
