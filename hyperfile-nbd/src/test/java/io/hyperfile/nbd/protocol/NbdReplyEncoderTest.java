package io.hyperfile.nbd.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Golden bytes for every reply the server sends. */
class NbdReplyEncoderTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new NbdReplyEncoder());
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    @AfterEach
    void tearDown() {
        assertFalse(channel.finishAndReleaseAll());
    }

    private String encode(NbdReply reply) {
        assertTrue(channel.writeOutbound(reply));
        StringBuilder hex = new StringBuilder();
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            hex.append(ByteBufUtil.hexDump(b));
            b.release();
        }
        return hex.toString();
    }

    @Test
    void simpleOk() {
        assertEquals("67446698" + "00000000" + "0000000000000007", encode(NbdReply.ok(7)));
    }

    @Test
    void simpleErrorEchoesAllCookieBits() {
        assertEquals("67446698" + "0000001c" + "ffffffffffffffff", encode(NbdReply.error(-1L, NbdError.ENOSPC)));
        assertEquals("67446698" + "0000006c" + "0000000000000000", encode(NbdReply.error(0, NbdError.ESHUTDOWN)));
    }

    @Test
    void simpleReadCarriesData() {
        assertEquals("67446698" + "00000000" + "0102030405060708" + "aabbcc",
                encode(NbdReply.readData(0x0102030405060708L, Unpooled.wrappedBuffer(new byte[] {(byte) 0xaa, (byte) 0xbb, (byte) 0xcc}))));
    }

    @Test
    void structuredNone() {
        assertEquals("668e33ef" + "0001" + "0000" + "0000000000000005" + "00000000", encode(NbdReply.none(5)));
    }

    @Test
    void structuredOffsetData() {
        assertEquals("668e33ef" + "0000" + "0001" + "0000000000000005" + "0000000a" + "0000000000001000" + "0102",
                encode(NbdReply.offsetData(5, 4096, Unpooled.wrappedBuffer(new byte[] {1, 2}), false)));
    }

    @Test
    void structuredOffsetHole() {
        assertEquals("668e33ef" + "0001" + "0002" + "0000000000000007" + "0000000c" + "0000000000001000" + "00001000",
                encode(NbdReply.offsetHole(alloc, 7, 4096, 4096, true)));
    }

    @Test
    void structuredBlockStatus() {
        long[] extents = {65536, 0, 0xFFFF_F000L, 3};
        assertEquals("668e33ef" + "0001" + "0005" + "0000000000000009" + "00000014" + "00000001"
                + "00010000" + "00000000" + "fffff000" + "00000003",
                encode(NbdReply.blockStatus(alloc, 9, 1, extents, 2, true)));
    }

    @Test
    void structuredErrorWithMessage() {
        assertEquals("668e33ef" + "0001" + "8001" + "000000000000000b" + "00000008" + "00000016" + "0002" + "6869",
                encode(NbdReply.errorChunk(alloc, 11, NbdError.EINVAL, "hi")));
    }

    @Test
    void errorMessageIsCutAt256BytesOnACharacterBoundary() {
        String msg = "é".repeat(200); // 400 bytes of two-byte characters
        byte[] cut = NbdReply.truncatedUtf8(msg, 255);
        assertEquals(254, cut.length);
        assertNull(null);
    }
}
