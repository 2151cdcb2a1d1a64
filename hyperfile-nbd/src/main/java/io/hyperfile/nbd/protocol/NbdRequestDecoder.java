package io.hyperfile.nbd.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Decodes transmission-phase requests into {@link NbdRequest}s.
 *
 * <pre>
 * offset size field
 *  0      4   magic 0x25609513
 *  4      2   command flags (unsigned)
 *  6      2   type (unsigned)
 *  8      8   cookie (opaque)
 * 16      8   offset (unsigned)
 * 24      4   length (unsigned)
 * 28      length bytes of payload, for WRITE only
 *
 * example: 25 60 95 13 | 00 01 | 00 01 | 00 00 00 00 00 00 00 07 | 00 00 00 00 00 00 10 00 | 00 00 02 00 | 512 bytes
 *          = WRITE with FUA, cookie 7, 512 bytes at offset 4096
 * </pre>
 *
 * <p>State machine: HEADER (wait for all 28 bytes) → PAYLOAD (WRITE only; small payloads are sliced from the
 * cumulation without a copy, large ones are gathered into one buffer of exactly their size as they arrive) →
 * HEADER. A bad magic or a WRITE longer than {@code maxWritePayload} makes the stream unparseable: the decoder
 * moves to BAD_MESSAGE, drops all further input and raises {@link NbdProtocolException} so the connection closes.
 * Anything else (unknown commands, bad flags, out-of-range offsets) decodes normally and is for the transmission
 * handler to answer. A partly received payload is released when the channel goes inactive or the decoder is
 * removed. Not thread-safe: one instance per channel, used on its event loop.
 */
public final class NbdRequestDecoder extends ByteToMessageDecoder {
    private enum State { HEADER, PAYLOAD, BAD_MESSAGE }

    private final int maxWritePayload;
    private State state = State.HEADER;
    private int flags;
    private int type;
    private long cookie;
    private long offset;
    private int length;
    private ByteBuf payload;

    /** @param maxWritePayload the largest WRITE accepted; a longer one closes the connection (1 .. 2^31-1) */
    public NbdRequestDecoder(int maxWritePayload) {
        if (maxWritePayload <= 0) {
            throw new IllegalArgumentException("maxWritePayload must be positive. maxWritePayload=" + maxWritePayload);
        }
        this.maxWritePayload = maxWritePayload;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (true) {
            switch (state) {
                case HEADER -> {
                    if (in.readableBytes() < NbdConstants.REQUEST_HEADER_BYTES) {
                        return;
                    }
                    int magic = in.readInt();
                    if (magic != NbdConstants.REQUEST_MAGIC) {
                        fail(in, "bad request magic 0x" + Integer.toHexString(magic));
                    }
                    flags = in.readUnsignedShort();
                    type = in.readUnsignedShort();
                    cookie = in.readLong();
                    offset = in.readLong();
                    long len = in.readUnsignedInt();
                    if (type != NbdConstants.CMD_WRITE || len == 0) {
                        out.add(new NbdRequest(flags, type, cookie, offset, len));
                        if (type == NbdConstants.CMD_DISC) {
                            return; // nothing may follow a DISC; let the handler see it before anything else
                        }
                        continue;
                    }
                    if (len > maxWritePayload) {
                        fail(in, "WRITE payload of " + len + " bytes exceeds the limit of " + maxWritePayload + " bytes");
                    }
                    length = (int) len;
                    state = State.PAYLOAD;
                }
                case PAYLOAD -> {
                    if (payload == null) {
                        if (in.readableBytes() >= length) {
                            emit(out, in.readRetainedSlice(length));
                            continue;
                        }
                        if (!in.isReadable()) {
                            return;
                        }
                        payload = ctx.alloc().ioBuffer(length, length);
                    }
                    int n = Math.min(in.readableBytes(), length - payload.writerIndex());
                    payload.writeBytes(in, n);
                    if (payload.writerIndex() < length) {
                        return;
                    }
                    ByteBuf full = payload;
                    payload = null;
                    emit(out, full);
                }
                case BAD_MESSAGE -> {
                    in.skipBytes(in.readableBytes());
                    return;
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
    }

    private void emit(List<Object> out, ByteBuf data) {
        state = State.HEADER;
        out.add(new NbdRequest(flags, type, cookie, offset, length, data));
    }

    private void fail(ByteBuf in, String message) {
        state = State.BAD_MESSAGE;
        in.skipBytes(in.readableBytes());
        throw new NbdProtocolException(message);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            super.channelInactive(ctx);
        } finally {
            releasePayload();
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        releasePayload();
    }

    private void releasePayload() {
        if (payload != null) {
            payload.release();
            payload = null;
        }
    }
}
