package io.hyperfile.nbd.protocol;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Decoder tests in the style of Netty's RedisDecoderTest: whole, byte by byte, and split at every offset. */
class NbdRequestDecoderTest {
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel(new NbdRequestDecoder(MAX_PAYLOAD_BYTES));
    }

    @AfterEach
    void tearDown() {
        assertFalse(channel.finishAndReleaseAll(), "messages left in the channel");
    }

    /** A request's wire bytes. */
    static byte[] request(int flags, int type, long cookie, long offset, long length, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length));
        b.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie).putLong(offset).putInt((int) length);
        if (payload != null) {
            b.put(payload);
        }
        return b.array();
    }

    private static byte[] payload(int n, long seed) {
        byte[] p = new byte[n];
        new Random(seed).nextBytes(p);
        return p;
    }

    private record Expected(int flags, int type, long cookie, long offset, long length, byte[] payload) {
        byte[] bytes() {
            return request(flags, type, cookie, offset, length, payload);
        }
    }

    /** One of each message, with extreme values where the spec has them. */
    private static List<Expected> fixtures() {
        List<Expected> all = new ArrayList<>();
        all.add(new Expected(0, CMD_READ, 0, 0, 4096, null));
        all.add(new Expected(CMD_FLAG_DF, CMD_READ, -1L, 0x7FFF_FFFF_FFFF_F000L, 0xFFFF_FFFFL, null));
        all.add(new Expected(CMD_FLAG_FUA, CMD_WRITE, 0x0123_4567_89AB_CDEFL, 4096, 512, payload(512, 1)));
        all.add(new Expected(0, CMD_WRITE, 7, 0, 0, null));
        all.add(new Expected(0, CMD_FLUSH, 8, 0, 0, null));
        all.add(new Expected(0, CMD_TRIM, 9, -1L, 0xFFFF_FFFFL, null));
        all.add(new Expected(0, CMD_CACHE, 10, 1 << 20, 1 << 20, null));
        all.add(new Expected(CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 11, 0, 0x1_0000_0000L - 512, null));
        all.add(new Expected(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 12, 512, 1 << 30, null));
        all.add(new Expected(0xFFFF, 0xFFFF, 13, 0, 0, null)); // unknown type and flags: decoded, not judged
        all.add(new Expected(0x8000, CMD_WRITE, 14, 0, 3, new byte[] {1, 2, 3}));
        return all;
    }

    private static void assertRequest(Expected e, NbdRequest r) {
        try {
            assertEquals(e.flags, r.flags(), "flags");
            assertEquals(e.type, r.type(), "type");
            assertEquals(e.cookie, r.cookie(), "cookie");
            assertEquals(e.offset, r.offset(), "offset");
            assertEquals(e.length, r.length(), "length");
            byte[] got = ByteBufUtil.getBytes(r.content());
            assertArrayEquals(e.payload == null ? new byte[0] : e.payload, got, "payload");
        } finally {
            r.release();
        }
    }

    @Test
    void decodesEveryMessageWhole() {
        for (Expected e : fixtures()) {
            assertTrue(channel.writeInbound(Unpooled.wrappedBuffer(e.bytes())));
            assertRequest(e, channel.readInbound());
            assertNull(channel.readInbound());
        }
    }

    @Test
    void decodesEveryMessageByteByByte() {
        for (Expected e : fixtures()) {
            byte[] b = e.bytes();
            for (int i = 0; i < b.length - 1; i++) {
                channel.writeInbound(Unpooled.wrappedBuffer(b, i, 1));
                assertNull(channel.readInbound(), "message before its last byte");
            }
            channel.writeInbound(Unpooled.wrappedBuffer(b, b.length - 1, 1));
            assertRequest(e, channel.readInbound());
        }
    }

    @Test
    void decodesEveryMessageSplitAtEveryOffset() {
        for (Expected e : fixtures()) {
            byte[] b = e.bytes();
            for (int split = 1; split < b.length; split++) {
                channel.writeInbound(Unpooled.wrappedBuffer(b, 0, split));
                assertNull(channel.readInbound());
                channel.writeInbound(Unpooled.wrappedBuffer(b, split, b.length - split));
                assertRequest(e, channel.readInbound());
            }
        }
    }

    @Test
    void decodesManyMessagesInOneBufferAndAcrossBoundaries() {
        List<Expected> all = fixtures();
        ByteBuf stream = Unpooled.buffer();
        for (Expected e : all) {
            stream.writeBytes(e.bytes());
        }
        byte[] bytes = ByteBufUtil.getBytes(stream);
        stream.release();
        // Feed in uneven pieces that cut headers and payloads anywhere.
        Random random = new Random(42);
        int pos = 0;
        while (pos < bytes.length) {
            int n = Math.min(bytes.length - pos, 1 + random.nextInt(40));
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, pos, n));
            pos += n;
        }
        for (Expected e : all) {
            assertRequest(e, channel.readInbound());
        }
        assertNull(channel.readInbound());
    }

    @Test
    void largeWritePayloadIsGatheredAcrossManyReads() {
        byte[] p = payload(1 << 20, 7);
        Expected e = new Expected(0, CMD_WRITE, 99, 0, p.length, p);
        byte[] b = e.bytes();
        for (int pos = 0; pos < b.length; pos += 65536) {
            channel.writeInbound(Unpooled.wrappedBuffer(b, pos, Math.min(65536, b.length - pos)));
        }
        assertRequest(e, channel.readInbound());
    }

    @Test
    void badMagicClosesTheStream() {
        byte[] b = request(0, CMD_READ, 1, 0, 512, null);
        b[0] = 0x26;
        DecoderFailure f = writeExpectingFailure(b);
        assertInstanceOf(NbdProtocolException.class, f.cause);
        assertEquals("bad request magic 0x26609513", f.cause.getMessage());
        // Everything after it is dropped, even a valid request.
        channel.writeInbound(Unpooled.wrappedBuffer(request(0, CMD_READ, 2, 0, 512, null)));
        assertNull(channel.readInbound());
    }

    @Test
    void writeAboveTheLimitClosesTheStreamWithoutBufferingIt() {
        channel = new EmbeddedChannel(new NbdRequestDecoder(1 << 20));
        DecoderFailure f = writeExpectingFailure(request(0, CMD_WRITE, 1, 0, 0x8000_0000L, null));
        assertEquals("WRITE payload of 2147483648 bytes exceeds the limit of 1048576 bytes", f.cause.getMessage());
    }

    @Test
    void partialPayloadIsReleasedWhenTheChannelCloses() {
        byte[] b = request(0, CMD_WRITE, 1, 0, 1 << 20, payload(1 << 20, 3));
        channel.writeInbound(Unpooled.wrappedBuffer(b, 0, 28 + 1000));
        channel.writeInbound(Unpooled.wrappedBuffer(b, 28 + 1000, 70000));
        assertNull(channel.readInbound());
        channel.close();
        // The leak check extension fails the class if the gathered payload was not released.
    }

    @Test
    void constructorRejectsNonPositiveLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NbdRequestDecoder(0));
        assertEquals("maxWritePayload must be positive. maxWritePayload=0", e.getMessage());
    }

    private record DecoderFailure(Throwable cause) {
    }

    private DecoderFailure writeExpectingFailure(byte[] b) {
        Throwable t = assertThrows(Throwable.class, () -> channel.writeInbound(Unpooled.wrappedBuffer(b)));
        return new DecoderFailure(t);
    }
}
