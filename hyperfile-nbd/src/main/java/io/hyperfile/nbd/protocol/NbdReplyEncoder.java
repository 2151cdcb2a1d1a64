package io.hyperfile.nbd.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes {@link NbdReply} messages: a freshly allocated header followed by the reply's content, passed on without
 * a copy. Both buffers are written back to back on the event loop, so each message reaches the socket whole.
 *
 * <pre>
 * simple reply:     u32 0x67446698 | u32 error | u64 cookie | [data of a successful READ]
 * structured chunk: u32 0x668e33ef | u16 flags | u16 type | u64 cookie | u32 length | [u64 offset, OFFSET_DATA only] | payload
 *
 * example: 66 8e 33 ef | 00 01 | 00 02 | 00 00 00 00 00 00 00 07 | 00 00 00 0c | 00 00 00 00 00 00 10 00 | 00 00 10 00
 *          = OFFSET_HOLE, DONE, cookie 7: 4096 zero bytes at offset 4096
 * </pre>
 *
 * Stateless and sharable.
 */
@ChannelHandler.Sharable
public final class NbdReplyEncoder extends MessageToMessageEncoder<NbdReply> {
    public NbdReplyEncoder() {
        super(NbdReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, NbdReply msg, List<Object> out) {
        ByteBuf content = msg.content();
        ByteBuf header;
        if (msg instanceof NbdReply.Simple s) {
            header = ctx.alloc().ioBuffer(NbdConstants.SIMPLE_REPLY_HEADER_BYTES);
            header.writeInt(NbdConstants.SIMPLE_REPLY_MAGIC).writeInt(s.error()).writeLong(s.cookie());
        } else {
            NbdReply.Chunk c = (NbdReply.Chunk) msg;
            boolean data = c.type() == NbdConstants.REPLY_TYPE_OFFSET_DATA;
            header = ctx.alloc().ioBuffer(NbdConstants.STRUCTURED_REPLY_HEADER_BYTES + (data ? 8 : 0));
            header.writeInt(NbdConstants.STRUCTURED_REPLY_MAGIC).writeShort(c.flags()).writeShort(c.type())
                    .writeLong(c.cookie()).writeInt((int) c.payloadLength());
            if (data) {
                header.writeLong(c.dataOffset());
            }
        }
        out.add(header);
        if (content.isReadable()) {
            out.add(content.retain());
        }
    }
}
