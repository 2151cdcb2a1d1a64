package io.hyperfile.nbd.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * One transmission-phase reply message: a simple reply, or one structured reply chunk. {@link NbdReplyEncoder}
 * writes the header and the content as one unit, so replies to different requests interleave only at message
 * boundaries.
 *
 * <p>Ownership: the reply owns its {@link #content()}; writing it to the channel passes ownership on (the encoder
 * releases it).
 */
public abstract sealed class NbdReply extends DefaultByteBufHolder permits NbdReply.Simple, NbdReply.Chunk {
    private final long cookie;

    private NbdReply(long cookie, ByteBuf content) {
        super(content);
        this.cookie = cookie;
    }

    public long cookie() {
        return cookie;
    }

    /**
     * A simple reply: {@code u32 0x67446698, u32 error, u64 cookie} followed, for a successful READ only, by the
     * data ({@link #content()}).
     */
    public static final class Simple extends NbdReply {
        private final int error;

        public Simple(long cookie, int error, ByteBuf data) {
            super(cookie, data);
            this.error = error;
        }

        public int error() {
            return error;
        }
    }

    /**
     * A structured reply chunk: {@code u32 0x668e33ef, u16 flags, u16 type, u64 cookie, u32 length} then the
     * payload. For {@code OFFSET_DATA} the payload is a {@code u64 offset} ({@link #dataOffset()}) followed by the
     * data ({@link #content()}); for every other type the content is the whole payload.
     */
    public static final class Chunk extends NbdReply {
        private final int flags;
        private final int type;
        private final long dataOffset;

        private Chunk(long cookie, int flags, int type, long dataOffset, ByteBuf content) {
            super(cookie, content);
            this.flags = flags;
            this.type = type;
            this.dataOffset = dataOffset;
        }

        public int flags() {
            return flags;
        }

        public int type() {
            return type;
        }

        /** The export offset of an OFFSET_DATA chunk's data (unused by other types). */
        public long dataOffset() {
            return dataOffset;
        }

        public boolean isDone() {
            return (flags & NbdConstants.REPLY_FLAG_DONE) != 0;
        }

        /** The length field of the header: the payload size. */
        public long payloadLength() {
            return (type == NbdConstants.REPLY_TYPE_OFFSET_DATA ? 8L : 0L) + content().readableBytes();
        }
    }

    // ---------------------------------------------------------------- factories

    public static Simple ok(long cookie) {
        return new Simple(cookie, 0, Unpooled.EMPTY_BUFFER);
    }

    public static Simple error(long cookie, NbdError error) {
        return new Simple(cookie, error.code(), Unpooled.EMPTY_BUFFER);
    }

    /** A successful simple READ reply; takes ownership of {@code data}. */
    public static Simple readData(long cookie, ByteBuf data) {
        return new Simple(cookie, 0, data);
    }

    /** {@code NBD_REPLY_TYPE_NONE} with DONE: the end of a structured reply. */
    public static Chunk none(long cookie) {
        return new Chunk(cookie, NbdConstants.REPLY_FLAG_DONE, NbdConstants.REPLY_TYPE_NONE, 0, Unpooled.EMPTY_BUFFER);
    }

    /** {@code NBD_REPLY_TYPE_OFFSET_DATA}; takes ownership of {@code data} (at least one byte). */
    public static Chunk offsetData(long cookie, long offset, ByteBuf data, boolean done) {
        return new Chunk(cookie, done ? NbdConstants.REPLY_FLAG_DONE : 0, NbdConstants.REPLY_TYPE_OFFSET_DATA, offset, data);
    }

    /** {@code NBD_REPLY_TYPE_OFFSET_HOLE}: {@code u64 offset, u32 size}. */
    public static Chunk offsetHole(ByteBufAllocator alloc, long cookie, long offset, int size, boolean done) {
        ByteBuf payload = alloc.buffer(12).writeLong(offset).writeInt(size);
        return new Chunk(cookie, done ? NbdConstants.REPLY_FLAG_DONE : 0, NbdConstants.REPLY_TYPE_OFFSET_HOLE, 0, payload);
    }

    /**
     * {@code NBD_REPLY_TYPE_BLOCK_STATUS}: {@code u32 context id} then {@code (u32 length, u32 flags)} pairs;
     * {@code extents} holds {@code count} pairs as {@code [length0, flags0, length1, flags1, ...]}.
     */
    public static Chunk blockStatus(ByteBufAllocator alloc, long cookie, int contextId, long[] extents, int count, boolean done) {
        ByteBuf payload = alloc.buffer(4 + 8 * count).writeInt(contextId);
        for (int i = 0; i < count; i++) {
            payload.writeInt((int) extents[2 * i]).writeInt((int) extents[2 * i + 1]);
        }
        return new Chunk(cookie, done ? NbdConstants.REPLY_FLAG_DONE : 0, NbdConstants.REPLY_TYPE_BLOCK_STATUS, 0, payload);
    }

    /** {@code NBD_REPLY_TYPE_ERROR} with DONE: {@code u32 error, u16 message length, message}. */
    public static Chunk errorChunk(ByteBufAllocator alloc, long cookie, NbdError error, String message) {
        byte[] text = truncatedUtf8(message, 256);
        ByteBuf payload = alloc.buffer(6 + text.length).writeInt(error.code()).writeShort(text.length).writeBytes(text);
        return new Chunk(cookie, NbdConstants.REPLY_FLAG_DONE, NbdConstants.REPLY_TYPE_ERROR, 0, payload);
    }

    /** UTF-8 bytes of {@code s}, cut to at most {@code max} bytes without splitting a character. */
    static byte[] truncatedUtf8(String s, int max) {
        byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        if (b.length <= max) {
            return b;
        }
        int end = max;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--;
        }
        byte[] cut = new byte[end];
        System.arraycopy(b, 0, cut, 0, end);
        return cut;
    }
}
