package io.hyperfile.nbd.server;

import io.hyperfile.nbd.protocol.NbdConstants;
import io.hyperfile.nbd.protocol.NbdReplyEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Successful simple replies (WRITE, FLUSH, TRIM, …) waiting to be written, back to back in one buffer: one write
 * through the pipeline for all the replies of a loop iteration, instead of a reply object and a header buffer each.
 * Not thread-safe: one connection's event loop.
 */
final class PendingOks {
    /** Room for this many replies before the buffer grows. */
    private static final int INITIAL_REPLIES = 32;

    private ByteBuf oks;

    void add(ByteBufAllocator alloc, long cookie) {
        if (oks == null) {
            oks = alloc.ioBuffer(INITIAL_REPLIES * NbdConstants.SIMPLE_REPLY_HEADER_BYTES);
        }
        NbdReplyEncoder.writeSimple(oks, cookie, 0);
    }

    /** The replies added since the last call, the caller's to write or release; null if none. */
    ByteBuf take() {
        ByteBuf b = oks;
        oks = null;
        return b;
    }

    /** Drops the replies waiting (the connection is gone). */
    void release() {
        if (oks != null) {
            oks.release();
            oks = null;
        }
    }
}
