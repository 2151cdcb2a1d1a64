package io.hyperfile.nbd.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;

/**
 * One decoded transmission request. Flags and type are the two unsigned 16-bit fields as sent (not validated:
 * the transmission handler decides what is an error); {@code offset} is an unsigned 64-bit value and {@code length}
 * an unsigned 32-bit value kept in a {@code long}, so compare offsets with {@link Long#compareUnsigned}.
 *
 * <p>Ownership: a WRITE carries its payload ({@link #content()}, exactly {@code length} readable bytes); whoever
 * receives the request releases it (or passes it on). Other commands carry an empty buffer.
 */
public final class NbdRequest extends DefaultByteBufHolder {
    private final int flags;
    private final int type;
    private final long cookie;
    private final long offset;
    private final long length;

    public NbdRequest(int flags, int type, long cookie, long offset, long length, ByteBuf payload) {
        super(payload);
        this.flags = flags;
        this.type = type;
        this.cookie = cookie;
        this.offset = offset;
        this.length = length;
    }

    /** A request without payload. */
    public NbdRequest(int flags, int type, long cookie, long offset, long length) {
        this(flags, type, cookie, offset, length, Unpooled.EMPTY_BUFFER);
    }

    /** Command flags (unsigned 16 bits). */
    public int flags() {
        return flags;
    }

    /** Command type (unsigned 16 bits). */
    public int type() {
        return type;
    }

    /** The client's opaque cookie ("handle"), echoed in every reply. */
    public long cookie() {
        return cookie;
    }

    /** Offset, unsigned 64 bits. */
    public long offset() {
        return offset;
    }

    /** Length, unsigned 32 bits (0..2^32-1). */
    public long length() {
        return length;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return NbdConstants.commandName(type) + "[flags=0x" + Integer.toHexString(flags) + ", cookie=0x"
                + Long.toHexString(cookie) + ", offset=" + Long.toUnsignedString(offset) + ", length=" + length + "]";
    }
}
