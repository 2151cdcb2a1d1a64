package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.core.volume.FastZeroUnsupportedException;
import io.hyperfile.core.volume.OutOfRangeException;
import io.hyperfile.core.volume.ReadOnlyVolumeException;
import io.hyperfile.core.volume.VolumeClosedException;
import io.hyperfile.core.volume.VolumeFencedException;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.protocol.NbdReply;
import io.hyperfile.nbd.protocol.NbdRequest;
import io.hyperfile.nbd.protocol.NbdSession;
import io.hyperfile.nbd.testing.FakeBlockDevice;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NbdTransmissionHandler} on an EmbeddedChannel against a {@link FakeBlockDevice}: requests go in as decoded
 * messages, replies come out as reply messages, and the test completes the device's futures on its own thread (the
 * embedded event loop's thread), so ordering, in-flight limits and failures are under its control. Buffer leaks
 * fail the class (LeakCheckExtension).
 */
class NbdTransmissionHandlerTest {
    private static final int BS = 4096;
    private static final int SIZE = 1 << 20;
    private static final long BIG_COOKIE = 0xFEDC_BA98_7654_3210L;

    private final FakeBlockDevice device = new FakeBlockDevice(SIZE, BS);
    private final ServerState state = new ServerState();
    private NbdTransmissionHandler handler;
    private EmbeddedChannel channel;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void open(boolean structured) {
        open(Export.of("disk", device), structured, ServerConfig.builder().build());
    }

    private void open(Export export, boolean structured, ServerConfig config) {
        NbdSession session = new NbdSession(export, structured, structured ? 1 : 0,
                NbdSession.transmissionFlags(export.readOnly(), structured));
        handler = new NbdTransmissionHandler(session, config, state, null);
        channel = new EmbeddedChannel(handler);
    }

    private void send(int flags, int type, long cookie, long offset, long length) {
        channel.writeInbound(new NbdRequest(flags, type, cookie, offset, length));
    }

    private void sendWrite(int flags, long cookie, long offset, byte[] payload) {
        channel.writeInbound(new NbdRequest(flags, CMD_WRITE, cookie, offset, payload.length, Unpooled.wrappedBuffer(payload)));
    }

    /** Every reply written so far, described (and released): e.g. {@code "1 OK"}, {@code "2 EIO"}, {@code "3 HOLE@0+4096!"}. */
    private List<String> replies() {
        channel.runPendingTasks();
        List<String> out = new ArrayList<>();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (o instanceof NbdReply r) {
                out.add(describe(r));
            }
            io.netty.util.ReferenceCountUtil.release(o);
        }
        return out;
    }

    private static String describe(NbdReply reply) {
        String cookie = Long.toHexString(reply.cookie());
        if (reply instanceof NbdReply.Simple s) {
            String status = s.error() == 0 ? "OK" : NbdError.ofCode(s.error()).name();
            return cookie + " " + status + (s.content().isReadable() ? " data=" + s.content().readableBytes() : "");
        }
        NbdReply.Chunk c = (NbdReply.Chunk) reply;
        ByteBuf p = c.content();
        String body = switch (c.type()) {
            case REPLY_TYPE_NONE -> "NONE";
            case REPLY_TYPE_OFFSET_DATA -> "DATA@" + c.dataOffset() + "+" + p.readableBytes();
            case REPLY_TYPE_OFFSET_HOLE -> "HOLE@" + p.getLong(0) + "+" + p.getInt(8);
            case REPLY_TYPE_BLOCK_STATUS -> "STATUS " + ByteBufUtil.hexDump(p);
            case REPLY_TYPE_ERROR -> NbdError.ofCode(p.getInt(0)).name() + " '"
                    + p.toString(6, p.getUnsignedShort(4), StandardCharsets.UTF_8) + "'";
            default -> "type " + c.type();
        };
        return cookie + " " + body + (c.isDone() ? "!" : "");
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    // ---------------------------------------------------------------- data path

    @Test
    void writeThenReadGoThroughTheDevice() {
        open(false);
        byte[] payload = pattern(5000, 7);
        sendWrite(0, 1, 1000, payload);
        assertEquals(List.of("1 OK"), replies());
        assertArrayEquals(payload, device.bytes(1000, 5000));

        send(0, CMD_READ, BIG_COOKIE, 1000, 5000);
        channel.runPendingTasks();
        NbdReply.Simple read = channel.readOutbound();
        try {
            assertEquals(BIG_COOKIE, read.cookie(), "all 64 bits of the cookie are echoed");
            assertEquals(0, read.error());
            assertArrayEquals(payload, ByteBufUtil.getBytes(read.content()));
        } finally {
            read.release();
        }
        assertEquals(List.of("write 1000+5000 BUFFERED", "read 1000+5000"), device.log());
        assertEquals(0, handler.inFlightRequests());
    }

    @Test
    void repliesGoOutInCompletionOrderWithTheirCookies() {
        open(false);
        device.hold();
        send(0, CMD_READ, 1, 0, 4096);
        sendWrite(0, 2, 8192, pattern(100, 1));
        send(0, CMD_TRIM, 3, 0, 4096);
        assertEquals(List.of(), replies(), "nothing before the device answers");
        assertEquals(3, handler.inFlightRequests());

        device.take(2).complete();
        assertEquals(List.of("3 OK"), replies());
        device.take(0).complete();
        assertEquals(List.of("1 OK data=4096"), replies());
        device.take(0).complete();
        assertEquals(List.of("2 OK"), replies());
        assertEquals(0, handler.inFlightRequests());
    }

    @Test
    void flushReachesTheDeviceAfterTheWritesBeforeItAndRepliesOnlyOnceTheDeviceFlushed() {
        open(false);
        device.hold();
        sendWrite(0, 1, 0, pattern(4096, 1));
        sendWrite(0, 2, 4096, pattern(4096, 2));
        send(0, CMD_FLUSH, 3, 0, 0);
        assertEquals(List.of("write 0+4096 BUFFERED", "write 4096+4096 BUFFERED", "flush"), device.log());

        device.take(0).complete();
        device.take(0).complete();
        assertEquals(List.of("1 OK", "2 OK"), replies());
        sendWrite(0, 4, 0, pattern(10, 3));
        device.take(1).complete();
        assertEquals(List.of("4 OK"), replies(), "a later request may finish first; the flush still waits");
        device.take(0).complete();
        assertEquals(List.of("3 OK"), replies());
    }

    @Test
    void fuaAndZeroFlagsBecomeDeviceOptionsAndTheReplyWaitsForTheDevice() {
        open(false);
        device.hold();
        sendWrite(CMD_FLAG_FUA, 1, 0, pattern(4096, 1));
        send(CMD_FLAG_FUA, CMD_TRIM, 2, 4096, 8192);
        send(0, CMD_WRITE_ZEROES, 3, 100, 9000);
        send(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 4, 0, 4096);
        send(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 5, 0, 8192);
        send(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 6, 0, 8192);
        assertEquals(List.of("write 0+4096 DURABLE", "trim 4096+8192 DURABLE", "writeZeroes 100+9000 [] BUFFERED",
                "writeZeroes 0+4096 [ALLOCATE] DURABLE", "writeZeroes 0+8192 [FAST_ONLY] BUFFERED",
                "writeZeroes 0+8192 [ALLOCATE, FAST_ONLY] DURABLE"), device.log());
        assertEquals(List.of(), replies(), "no reply before the device's future completes");
        for (int i = 0; i < 6; i++) {
            device.take(0).complete();
        }
        assertEquals(List.of("1 OK", "2 OK", "3 OK", "4 OK", "5 OK", "6 OK"), replies());
    }

    @Test
    void aReadOnlyExportAnswersFlushWithoutTheDeviceAndRefusesMutations() {
        open(new Export("ro", device, true, ""), true, ServerConfig.builder().build());
        send(0, CMD_FLUSH, 1, 0, 0);
        sendWrite(0, 2, 0, pattern(10, 1));
        send(0, CMD_TRIM, 3, 0, 4096);
        send(0, CMD_WRITE_ZEROES, 4, 0, 4096);
        send(CMD_FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 5, 0, 4096);
        assertEquals(List.of("1 OK", "2 EPERM 'export 'ro' is read-only'!", "3 EPERM 'export 'ro' is read-only'!",
                "4 EPERM 'export 'ro' is read-only'!", "5 EINVAL 'flags 0x10 are not valid for WRITE_ZEROES'!"), replies());
        assertEquals(List.of(), device.log());
        assertTrue(Export.of("snap", FakeBlockDevice.readOnly(SIZE, BS)).readOnly(), "a read-only device is exported read-only");
    }

    @Test
    void requestsTheValidatorRefusesNeverReachTheDevice() {
        open(false);
        sendWrite(0, 1, SIZE - 10, pattern(20, 1));
        send(0, CMD_WRITE_ZEROES, 2, SIZE, 1);
        send(0, CMD_TRIM, 3, SIZE - 10, 20);
        send(0, CMD_READ, 4, -1L, 1);
        send(CMD_FLAG_DF, CMD_READ, 5, 0, 10);
        send(0, 99, 6, 0, 0);
        assertEquals(List.of("1 ENOSPC", "2 ENOSPC", "3 EINVAL", "4 EINVAL", "5 EINVAL", "6 EINVAL"), replies());
        assertEquals(List.of(), device.log());
    }

    // ---------------------------------------------------------------- structured reads

    @Test
    void aStructuredReadSendsTheDevicesZeroRunsAsHoleChunks() {
        open(true);
        device.put(0, pattern(BS, 1));
        device.put(3 * BS, pattern(BS, 2));
        device.put(6 * BS + 100, pattern(100, 3));
        send(0, CMD_READ, 1, 0, 64 << 10);
        assertEquals(List.of("1 DATA@0+4096", "1 HOLE@4096+8192", "1 DATA@12288+4096", "1 HOLE@16384+8192",
                "1 DATA@24576+4096", "1 HOLE@28672+36864!"), replies());
        assertEquals(List.of("readSparse 0+65536"), device.log());
    }

    @Test
    void dfShortAndSimpleReadsAreOnePieceAndAskNoRuns() {
        open(true);
        device.put(0, pattern(BS, 1));
        send(CMD_FLAG_DF, CMD_READ, 1, 0, 64 << 10);
        send(0, CMD_READ, 2, 0, (64 << 10) - 1);
        send(0, CMD_READ, 3, 5, 0);
        assertEquals(List.of("1 DATA@0+65536!", "2 DATA@0+65535!", "3 NONE!"), replies());
        assertEquals(List.of("read 0+65536", "read 0+65535"), device.log());

        channel.finishAndReleaseAll();
        open(false);
        send(0, CMD_READ, 4, 0, 64 << 10);
        assertEquals(List.of("4 OK data=65536"), replies());
        assertEquals("read 0+65536", device.log().get(2));
    }

    @Test
    void blockStatusAndCacheAskTheDevice() {
        open(true);
        device.put(0, pattern(2 * BS, 1));
        device.hold();
        send(0, CMD_WRITE_ZEROES, 1, 2 * BS, BS);
        send(CMD_FLAG_NO_HOLE, CMD_WRITE_ZEROES, 2, 3 * BS, BS);
        device.take(0).complete();
        device.take(0).complete();
        send(0, CMD_BLOCK_STATUS, 3, 0, 5 * BS);
        send(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 4, 0, 5 * BS);
        send(0, CMD_CACHE, 5, 0, 5 * BS);
        device.take(0).complete();
        device.take(0).complete();
        device.take(0).complete();
        // DATA 8192 flags 0; HOLE 4096 flags 3; ZERO 4096 flags 2; HOLE 4096 flags 3 (context id 1 first)
        assertEquals(List.of("1 OK", "2 OK", "3 STATUS 00000001" + "00002000" + "00000000" + "00001000" + "00000003"
                + "00001000" + "00000002" + "00001000" + "00000003!", "4 STATUS 00000001" + "00002000" + "00000000!", "5 OK"),
                replies());
        assertEquals(List.of("writeZeroes 8192+4096 [] BUFFERED", "writeZeroes 12288+4096 [ALLOCATE] BUFFERED",
                "blockStatus 0+20480", "blockStatus 0+20480", "cache 0+20480"), device.log());
    }

    @Test
    void blockStatusAnswersEachSelectedContextInOneChunkAndTheLastIsDone() {
        Export export = Export.of("disk", device);
        handler = new NbdTransmissionHandler(new NbdSession(export, true, 1, NbdSession.transmissionFlags(false, true), "seq:7"),
                ServerConfig.builder().build(), state, null);
        channel = new EmbeddedChannel(handler);
        device.put(BS, pattern(BS, 1));
        send(0, CMD_BLOCK_STATUS, 1, 0, 3 * BS);
        // base:allocation (id 1): HOLE 4096, DATA 4096, HOLE 4096; changed-since (id 2): unchanged, changed, unchanged
        assertEquals(List.of("1 STATUS 00000001" + "00001000" + "00000003" + "00001000" + "00000000" + "00001000" + "00000003",
                "1 STATUS 00000002" + "00001000" + "00000000" + "00001000" + "00000001" + "00001000" + "00000000!"), replies());
        handler = new NbdTransmissionHandler(new NbdSession(export, true, 0, NbdSession.transmissionFlags(false, true), "missing"),
                ServerConfig.builder().build(), state, null);
        channel.finishAndReleaseAll();
        channel = new EmbeddedChannel(handler);
        send(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 2, 0, 3 * BS);
        List<String> failed = replies();
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(failed.get(0).startsWith("2 EIO 'BLOCK_STATUS failed: no checkpoint missing"), failed.toString());
    }

    // ---------------------------------------------------------------- failures

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(new ReadOnlyVolumeException("volume v is read-only after corruption", null), CMD_WRITE, NbdError.EPERM),
                Arguments.of(new ReadOnlyVolumeException("volume v is read-only", null), CMD_TRIM, NbdError.EPERM),
                Arguments.of(new VolumeClosedException("volume v is closed"), CMD_READ, NbdError.ESHUTDOWN),
                Arguments.of(new VolumeClosedException("volume v is closed"), CMD_FLUSH, NbdError.ESHUTDOWN),
                Arguments.of(new OutOfRangeException("outside"), CMD_WRITE, NbdError.ENOSPC),
                Arguments.of(new OutOfRangeException("outside"), CMD_WRITE_ZEROES, NbdError.ENOSPC),
                Arguments.of(new OutOfRangeException("outside"), CMD_READ, NbdError.EINVAL),
                Arguments.of(new OutOfRangeException("outside"), CMD_CACHE, NbdError.EINVAL),
                Arguments.of(new FastZeroUnsupportedException("not fast"), CMD_WRITE_ZEROES, NbdError.ENOTSUP),
                Arguments.of(new VolumeFencedException("fenced", null), CMD_WRITE, NbdError.EIO),
                Arguments.of(new CorruptionException("seg/1", 40, "crc"), CMD_READ, NbdError.EIO),
                Arguments.of(new StorageException("seg/2", FailureCategory.TRANSIENT, "connection reset"), CMD_FLUSH, NbdError.EIO),
                Arguments.of(new IllegalStateException("bug"), CMD_BLOCK_STATUS, NbdError.EIO));
    }

    private void sendCommand(int type, long cookie) {
        if (type == CMD_WRITE) {
            sendWrite(0, cookie, 0, pattern(4096, 1));
        } else {
            send(0, type, cookie, 0, type == CMD_FLUSH ? 0 : 4096);
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("failures")
    void eachDeviceFailureBecomesItsErrorAndTheConnectionGoesOn(RuntimeException failure, int type, NbdError expected) {
        if (type != CMD_BLOCK_STATUS) { // needs a metadata context, so structured replies
            open(false);
            device.failNext(failure);
            sendCommand(type, 1);
            assertEquals(List.of("1 " + expected), replies());
            channel.finishAndReleaseAll();
        }
        open(true);
        device.hold();
        sendCommand(type, 2);
        device.take(0).fail(failure);
        assertEquals(List.of("2 " + expected + " '" + commandName(type) + " failed: " + failure.getMessage() + "'!"), replies());
        sendCommand(type, 3);
        device.take(0).complete();
        assertEquals(1, replies().size(), "the connection still serves requests");
        assertEquals(0, handler.inFlightRequests());
    }

    @Test
    void aDeviceThatThrowsInsteadOfReturningAFutureGetsEio() {
        open(false);
        device.throwNext(new IllegalStateException("thrown"));
        sendWrite(0, 1, 0, pattern(100, 1));
        device.throwNext(new IllegalStateException("thrown"));
        send(0, CMD_READ, 2, 0, 100);
        device.throwNext(new IllegalStateException("thrown"));
        send(0, CMD_FLUSH, 3, 0, 0);
        sendWrite(0, 4, 0, pattern(100, 1));
        assertEquals(List.of("1 EIO", "2 EIO", "3 EIO", "4 OK"), replies());
        assertEquals(0, handler.inFlightRequests());
    }

    @Test
    void aReplyForAConnectionThatClosedMeanwhileIsDropped() {
        open(true);
        device.hold();
        send(0, CMD_READ, 1, 0, 64 << 10);
        sendWrite(0, 2, 0, pattern(4096, 1));
        channel.close();
        device.take(0).complete();
        device.take(0).complete();
        assertEquals(List.of(), replies());
        assertEquals(0, handler.inFlightRequests(), "the read buffer and the write payload were released");
    }

    // ---------------------------------------------------------------- flow control and lifecycle

    @Test
    void theRequestLimitTurnsAutoReadOffAndBackOnBelowTheLowWatermark() {
        open(Export.of("disk", device), false, ServerConfig.builder().inFlightRequests(2, 1).build());
        device.hold();
        send(0, CMD_READ, 1, 0, 512);
        send(0, CMD_READ, 2, 0, 512);
        assertTrue(channel.config().isAutoRead());
        send(0, CMD_READ, 3, 0, 512);
        assertFalse(channel.config().isAutoRead(), "above 2 outstanding");
        device.take(0).complete();
        assertEquals(List.of("1 OK data=512"), replies());
        assertFalse(channel.config().isAutoRead(), "2 outstanding is above the low watermark of 1");
        device.take(0).complete();
        assertEquals(List.of("2 OK data=512"), replies());
        assertTrue(channel.config().isAutoRead());
        device.take(0).complete();
        assertEquals(List.of("3 OK data=512"), replies());
    }

    @Test
    void theByteLimitCountsWritePayloadsUntilTheDeviceTookThem() {
        open(Export.of("disk", device), false, ServerConfig.builder().maxPayloadBytes(4096).inFlightBytes(8192, 4096).build());
        device.hold();
        sendWrite(0, 1, 0, pattern(4096, 1));
        sendWrite(0, 2, 4096, pattern(4096, 2));
        assertTrue(channel.config().isAutoRead());
        sendWrite(0, 3, 8192, pattern(4096, 3));
        assertFalse(channel.config().isAutoRead(), "12 KiB held is above 8 KiB");
        device.take(0).complete();
        assertFalse(channel.config().isAutoRead(), "8 KiB held is above the 4 KiB low watermark");
        device.take(0).complete();
        assertTrue(channel.config().isAutoRead());
        device.take(0).complete();
        assertEquals(List.of("1 OK", "2 OK", "3 OK"), replies());
    }

    @Test
    void readDataStaysCountedUntilItsReplyIsFlushed() {
        open(Export.of("disk", device), false, ServerConfig.builder().maxPayloadBytes(4096).inFlightBytes(8192, 4096).build());
        device.hold();
        send(0, CMD_READ, 1, 0, 4096);
        send(0, CMD_READ, 2, 4096, 4096);
        send(0, CMD_READ, 3, 8192, 4096);
        assertFalse(channel.config().isAutoRead(), "12 KiB of read data held is above 8 KiB");
        device.take(0).complete();
        assertEquals(3, handler.inFlightRequests(), "answered, but the reply has not left yet");
        channel.runPendingTasks(); // the flush
        assertEquals(2, handler.inFlightRequests());
        assertFalse(channel.config().isAutoRead(), "8 KiB held is above the 4 KiB low watermark");
        device.take(0).complete();
        device.take(0).complete();
        assertEquals(List.of("1 OK data=4096", "2 OK data=4096", "3 OK data=4096"), replies());
        assertEquals(0, handler.inFlightRequests());
        assertTrue(channel.config().isAutoRead());
    }

    @Test
    void discLetsOutstandingRequestsFinishThenCloses() {
        open(false);
        device.hold();
        send(0, CMD_READ, 1, 0, 100);
        send(0, CMD_DISC, 2, 0, 0);
        assertFalse(channel.config().isAutoRead(), "no reading after DISC");
        sendWrite(0, 3, 0, pattern(100, 1));
        assertEquals(List.of("read 0+100"), device.log(), "a request after DISC is ignored");
        assertTrue(channel.isOpen());
        device.take(0).complete();
        assertEquals(List.of("1 OK data=100"), replies());
        assertFalse(channel.isOpen(), "closed once the last reply was written");
    }

    @Test
    void drainingRefusesNewRequestsAndClosesOnceOutstandingOnesFinished() {
        open(false);
        device.hold();
        send(0, CMD_READ, 1, 0, 100);
        state.startDraining();
        handler.drain();
        sendWrite(0, 2, 0, pattern(100, 1));
        assertEquals(List.of("2 ESHUTDOWN"), replies());
        assertTrue(channel.isOpen());
        device.take(0).complete();
        assertEquals(List.of("1 OK data=100"), replies());
        assertFalse(channel.isOpen());
        assertEquals(List.of("read 0+100"), device.log());
    }
}
