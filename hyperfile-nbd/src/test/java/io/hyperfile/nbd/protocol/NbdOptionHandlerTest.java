package io.hyperfile.nbd.protocol;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.volume.Volume;
import io.hyperfile.core.volume.VolumeBlockDevice;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.export.ExportRegistry;
import io.hyperfile.nbd.testing.TestVolumes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Option haggling on an EmbeddedChannel, against exports backed by a real (in-memory) volume. Every exchange is
 * also replayed byte by byte and split at every offset: the replies must not depend on how the bytes arrive.
 */
class NbdOptionHandlerTest {
    private static final long SIZE = 64L << 20;
    private static Volume volume;
    private static ExportRegistry exports;

    private EmbeddedChannel channel;
    private NbdSession session;
    private final List<ByteBuf> forwarded = new ArrayList<>();
    private boolean draining;

    @BeforeAll
    static void createVolume() {
        volume = TestVolumes.inMemory("opt", SIZE);
        exports = new ExportRegistry().add(new Export("disk", new VolumeBlockDevice(volume), false, "a test disk"))
                .add(new Export("ro", new VolumeBlockDevice(volume), true, ""));
    }

    @AfterAll
    static void closeVolume() {
        TestVolumes.close(volume);
    }

    @AfterEach
    void tearDown() {
        forwarded.forEach(ByteBuf::release);
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private void open() {
        session = null;
        channel = new EmbeddedChannel(new NbdOptionHandler(exports, HandshakeSettings.DEFAULT, () -> draining, (ctx, s) -> {
            session = s;
            ctx.pipeline().addAfter(ctx.name(), "sink", new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext c, Object msg) {
                    forwarded.add((ByteBuf) msg);
                }
            });
        }));
    }

    private String readAllOutbound() {
        StringBuilder hex = new StringBuilder();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            hex.append(ByteBufUtil.hexDump(b));
            b.release();
        }
        return hex.toString();
    }

    private static final String GREETING = "4e42444d41474943" + "49484156454f5054" + "0003";

    static byte[] option(int option, byte[] data) {
        return ByteBuffer.allocate(16 + data.length).putLong(IHAVEOPT).putInt(option).putInt(data.length).put(data).array();
    }

    static byte[] clientFlags(int flags) {
        return ByteBuffer.allocate(4).putInt(flags).array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    static byte[] nameAndInfos(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length).putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    static byte[] metaQuery(String name, String... queries) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 4 + n.length + 4;
        for (String q : queries) {
            len += 4 + q.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer b = ByteBuffer.allocate(len).putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        return b.array();
    }

    static String reply(int option, int type, String dataHex) {
        return "0003e889045565a9" + String.format("%08x%08x%08x", option, type, dataHex.length() / 2) + dataHex;
    }

    static String hex(String s) {
        return ByteBufUtil.hexDump(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Feeds {@code input} whole, byte by byte, and split at every offset; each run must give {@code expected}. */
    private void exchange(byte[] input, String expected) {
        List<byte[][]> feeds = new ArrayList<>();
        feeds.add(new byte[][] {input});
        byte[][] single = new byte[input.length][];
        for (int i = 0; i < input.length; i++) {
            single[i] = new byte[] {input[i]};
        }
        feeds.add(single);
        for (int split = 1; split < input.length; split++) {
            feeds.add(new byte[][] {java.util.Arrays.copyOfRange(input, 0, split), java.util.Arrays.copyOfRange(input, split, input.length)});
        }
        for (byte[][] feed : feeds) {
            if (channel != null) {
                channel.finishAndReleaseAll();
            }
            forwarded.forEach(ByteBuf::release);
            forwarded.clear();
            open();
            assertEquals(GREETING, readAllOutbound());
            StringBuilder out = new StringBuilder();
            for (byte[] piece : feed) {
                if (!channel.isActive()) {
                    break; // closed on a violation: the rest is never read
                }
                channel.writeInbound(Unpooled.wrappedBuffer(piece));
                out.append(readAllOutbound());
            }
            assertEquals(expected, out.toString(), "feed of " + feed.length + " pieces");
        }
    }

    @Test
    void listShowsExportsWithDescriptions() {
        exchange(concat(clientFlags(3), option(OPT_LIST, new byte[0])),
                reply(OPT_LIST, REP_SERVER, "00000004" + hex("disk") + hex("a test disk"))
                        + reply(OPT_LIST, REP_SERVER, "00000002" + hex("ro"))
                        + reply(OPT_LIST, REP_ACK, ""));
        assertTrue(channel.isActive());
    }

    @Test
    void listWithDataIsInvalidAndTheDataIsConsumed() {
        exchange(concat(clientFlags(3), option(OPT_LIST, new byte[] {1, 2, 3}), option(OPT_STRUCTURED_REPLY, new byte[0])),
                reply(OPT_LIST, REP_ERR_INVALID, hex("LIST takes no data")) + reply(OPT_STRUCTURED_REPLY, REP_ACK, ""));
    }

    @Test
    void infoReportsExportNameDescriptionAndBlockSize() {
        int flags = NbdSession.transmissionFlags(false, false);
        exchange(concat(clientFlags(3), option(OPT_INFO, nameAndInfos("disk", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE, 77))),
                reply(OPT_INFO, REP_INFO, String.format("0000%016x%04x", SIZE, flags))
                        + reply(OPT_INFO, REP_INFO, "0001" + hex("disk"))
                        + reply(OPT_INFO, REP_INFO, "0002" + hex("a test disk"))
                        + reply(OPT_INFO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                        + reply(OPT_INFO, REP_ACK, ""));
        assertNull(session, "INFO must not enter transmission");
        assertEquals(0x0d6d, flags, "HAS_FLAGS FLUSH FUA TRIM WRITE_ZEROES MULTI_CONN CACHE FAST_ZERO");
    }

    @Test
    void unknownExportGetsErrUnknown() {
        exchange(concat(clientFlags(3), option(OPT_GO, nameAndInfos("nope"))),
                reply(OPT_GO, REP_ERR_UNKNOWN, hex("no export named 'nope'")));
        assertNull(session);
    }

    @Test
    void anExportNotAvailableYetSaysSoAndOneAddedAtRunTimeIsServed() {
        exports.markUnavailable("later", "export 'later' is not available yet: the server retries opening it");
        try {
            exchange(concat(clientFlags(3), option(OPT_GO, nameAndInfos("later"))),
                    reply(OPT_GO, REP_ERR_UNKNOWN, hex("export 'later' is not available yet: the server retries opening it")));
            assertNull(session);
            exchange(concat(clientFlags(3), option(OPT_LIST, new byte[0])),
                    reply(OPT_LIST, REP_SERVER, "00000004" + hex("disk") + hex("a test disk"))
                            + reply(OPT_LIST, REP_SERVER, "00000002" + hex("ro")) + reply(OPT_LIST, REP_ACK, ""));

            exports.add(new Export("later", new VolumeBlockDevice(volume), true, ""));
            assertTrue(exports.unavailableMessage("later").isEmpty(), "adding the export clears the mark");
            int flags = NbdSession.transmissionFlags(true, false);
            exchange(concat(clientFlags(3), option(OPT_GO, nameAndInfos("later"))),
                    reply(OPT_GO, REP_INFO, String.format("0000%016x%04x", SIZE, flags))
                            + reply(OPT_GO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                            + reply(OPT_GO, REP_ACK, ""));
            assertEquals("later", session.export().name());
        } finally {
            exports.remove("later");
            exports.clearUnavailable("later");
        }
    }

    @Test
    void anExportOpenedOnDemandIsWaitedForWhileLaterOptionsStayBufferedAndAFailureSaysWhy() {
        java.util.Map<String, java.util.concurrent.CompletableFuture<java.util.Optional<String>>> asked = new java.util.HashMap<>();
        exports.onDemand(name -> name.startsWith("pit") ? java.util.Optional.of(asked.computeIfAbsent(name,
                n -> new java.util.concurrent.CompletableFuture<>())) : java.util.Optional.empty());
        try {
            int flags = NbdSession.transmissionFlags(true, true);
            byte[] leftover = {0x25, 0x60, (byte) 0x95, 0x13};
            byte[] input = concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]),
                    option(OPT_SET_META_CONTEXT, metaQuery("pit@seq:1", "base:allocation")), option(OPT_GO, nameAndInfos("pit@seq:1")),
                    leftover);
            for (int pieceBytes : new int[] {input.length, 1}) {
                asked.clear();
                forwarded.forEach(ByteBuf::release);
                forwarded.clear();
                if (channel != null) {
                    channel.finishAndReleaseAll();
                }
                open();
                assertEquals(GREETING, readAllOutbound());
                for (int at = 0; at < input.length; at += pieceBytes) {
                    channel.writeInbound(Unpooled.wrappedBuffer(input, at, Math.min(pieceBytes, input.length - at)));
                }
                channel.runPendingTasks();
                assertEquals(reply(OPT_STRUCTURED_REPLY, REP_ACK, ""), readAllOutbound(), "waiting: nothing more answered");
                assertFalse(channel.config().isAutoRead());

                exports.add(new Export("pit@seq:1", new VolumeBlockDevice(volume), true, ""));
                asked.get("pit@seq:1").complete(java.util.Optional.empty());
                channel.runPendingTasks();
                assertEquals(reply(OPT_SET_META_CONTEXT, REP_META_CONTEXT, "00000001" + hex("base:allocation"))
                        + reply(OPT_SET_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_GO, REP_INFO, String.format("0000%016x%04x", SIZE, flags))
                        + reply(OPT_GO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                        + reply(OPT_GO, REP_ACK, ""), readAllOutbound(), pieceBytes + "-byte pieces");
                assertEquals("pit@seq:1", session.export().name());
                assertEquals(1, session.allocationContextId());
                StringBuilder rest = new StringBuilder();
                forwarded.forEach(b -> rest.append(ByteBufUtil.hexDump(b)));
                assertEquals(ByteBufUtil.hexDump(leftover), rest.toString());
                exports.remove("pit@seq:1");
            }

            open();
            readAllOutbound();
            channel.writeInbound(Unpooled.wrappedBuffer(concat(clientFlags(3), option(OPT_GO, nameAndInfos("pit@seq:9")),
                    option(OPT_LIST, new byte[0]))));
            asked.get("pit@seq:9").complete(java.util.Optional.of("no checkpoint pit@seq:9"));
            channel.runPendingTasks();
            assertEquals(reply(OPT_GO, REP_ERR_UNKNOWN, hex("no checkpoint pit@seq:9"))
                    + reply(OPT_LIST, REP_SERVER, "00000004" + hex("disk") + hex("a test disk"))
                    + reply(OPT_LIST, REP_SERVER, "00000002" + hex("ro")) + reply(OPT_LIST, REP_ACK, ""), readAllOutbound());
            assertTrue(channel.config().isAutoRead());
            assertTrue(channel.isActive());
        } finally {
            exports.onDemand(name -> java.util.Optional.empty());
        }
    }

    @Test
    void malformedInfoIsInvalid() {
        byte[] bad = ByteBuffer.allocate(8).putInt(100).putInt(0).array(); // name length overruns
        exchange(concat(clientFlags(3), option(OPT_INFO, bad)), reply(OPT_INFO, REP_ERR_INVALID, hex("malformed INFO request")));
    }

    @Test
    void goWithStructuredRepliesAndContextEntersTransmissionAndForwardsLeftoverBytes() {
        int flags = NbdSession.transmissionFlags(false, true);
        byte[] leftover = {0x25, 0x60, (byte) 0x95, 0x13, 0, 0};
        exchange(concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]),
                        option(OPT_SET_META_CONTEXT, metaQuery("disk", "base:allocation", "qemu:dirty-bitmap:x")),
                        option(OPT_GO, nameAndInfos("disk")), leftover),
                reply(OPT_STRUCTURED_REPLY, REP_ACK, "")
                        + reply(OPT_SET_META_CONTEXT, REP_META_CONTEXT, "00000001" + hex("base:allocation"))
                        + reply(OPT_SET_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_GO, REP_INFO, String.format("0000%016x%04x", SIZE, flags))
                        + reply(OPT_GO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                        + reply(OPT_GO, REP_ACK, ""));
        assertNotNull(session);
        assertTrue(session.structuredReplies());
        assertEquals(1, session.allocationContextId());
        assertEquals(flags, session.transmissionFlags());
        assertTrue((flags & TF_SEND_DF) != 0);
        StringBuilder rest = new StringBuilder();
        forwarded.forEach(b -> rest.append(ByteBufUtil.hexDump(b)));
        assertEquals(ByteBufUtil.hexDump(leftover), rest.toString());
        assertNull(channel.pipeline().get(NbdOptionHandler.class));
    }

    @Test
    void contextSelectedForAnotherExportIsNotUsed() {
        exchange(concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]),
                        option(OPT_SET_META_CONTEXT, metaQuery("ro", "base:allocation")), option(OPT_GO, nameAndInfos("disk"))),
                reply(OPT_STRUCTURED_REPLY, REP_ACK, "")
                        + reply(OPT_SET_META_CONTEXT, REP_META_CONTEXT, "00000001" + hex("base:allocation"))
                        + reply(OPT_SET_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_GO, REP_INFO, String.format("0000%016x%04x", SIZE, NbdSession.transmissionFlags(false, true)))
                        + reply(OPT_GO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                        + reply(OPT_GO, REP_ACK, ""));
        assertFalse(session.hasAllocationContext());
    }

    @Test
    void listMetaContextWithNoQueriesOrWildcardListsBaseAllocation() {
        exchange(concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]),
                        option(OPT_LIST_META_CONTEXT, metaQuery("disk")),
                        option(OPT_LIST_META_CONTEXT, metaQuery("disk", "base:")),
                        option(OPT_LIST_META_CONTEXT, metaQuery("disk", "x-other:thing"))),
                reply(OPT_STRUCTURED_REPLY, REP_ACK, "")
                        + reply(OPT_LIST_META_CONTEXT, REP_META_CONTEXT, "00000000" + hex("base:allocation"))
                        + reply(OPT_LIST_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_LIST_META_CONTEXT, REP_META_CONTEXT, "00000000" + hex("base:allocation"))
                        + reply(OPT_LIST_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_LIST_META_CONTEXT, REP_ACK, ""));
    }

    @Test
    void changedSinceContextIsSelectedNextToAllocationAndIllFormedOnesAreLeftOut() {
        int flags = NbdSession.transmissionFlags(false, true);
        exchange(concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]),
                        option(OPT_LIST_META_CONTEXT, metaQuery("disk", "hyperfile:changed-since:seq:x",
                                "hyperfile:changed-since:snap1")),
                        option(OPT_SET_META_CONTEXT, metaQuery("disk", "hyperfile:changed-since:seq:", "base:allocation",
                                "hyperfile:changed-since:seq:42", "hyperfile:changed-since:seq:43")),
                        option(OPT_GO, nameAndInfos("disk"))),
                reply(OPT_STRUCTURED_REPLY, REP_ACK, "")
                        + reply(OPT_LIST_META_CONTEXT, REP_META_CONTEXT, "00000000" + hex("hyperfile:changed-since:snap1"))
                        + reply(OPT_LIST_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_SET_META_CONTEXT, REP_META_CONTEXT, "00000001" + hex("base:allocation"))
                        + reply(OPT_SET_META_CONTEXT, REP_META_CONTEXT, "00000002" + hex("hyperfile:changed-since:seq:42"))
                        + reply(OPT_SET_META_CONTEXT, REP_ACK, "")
                        + reply(OPT_GO, REP_INFO, String.format("0000%016x%04x", SIZE, flags))
                        + reply(OPT_GO, REP_INFO, "0003" + "00000001" + "00001000" + "02000000")
                        + reply(OPT_GO, REP_ACK, ""));
        assertNotNull(session);
        assertEquals(1, session.allocationContextId());
        assertEquals("seq:42", session.changedSince());
        assertTrue(session.hasMetaContext());
    }

    @Test
    void metaContextBeforeStructuredRepliesIsInvalid() {
        exchange(concat(clientFlags(3), option(OPT_SET_META_CONTEXT, metaQuery("disk", "base:allocation"))),
                reply(OPT_SET_META_CONTEXT, REP_ERR_INVALID, hex("negotiate STRUCTURED_REPLY before SET_META_CONTEXT")));
    }

    @Test
    void metaContextWithOverrunningQueryIsInvalid() {
        byte[] bad = ByteBuffer.allocate(4 + 4 + 4 + 4 + 2).putInt(4).put(hexBytes("disk")).putInt(1).putInt(50).putShort((short) 0).array();
        exchange(concat(clientFlags(3), option(OPT_STRUCTURED_REPLY, new byte[0]), option(OPT_LIST_META_CONTEXT, bad)),
                reply(OPT_STRUCTURED_REPLY, REP_ACK, "")
                        + reply(OPT_LIST_META_CONTEXT, REP_ERR_INVALID, hex("malformed LIST_META_CONTEXT request: query 0 overruns the data")));
    }

    private static byte[] hexBytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void exportNameWithAndWithoutZeroPadding() {
        int flags = NbdSession.transmissionFlags(true, false);
        exchange(concat(clientFlags(3), option(OPT_EXPORT_NAME, hexBytes("ro"))), String.format("%016x%04x", SIZE, flags));
        assertTrue(session.export().readOnly());
        exchange(concat(clientFlags(1), option(OPT_EXPORT_NAME, hexBytes("ro"))), String.format("%016x%04x", SIZE, flags) + "00".repeat(124));
        assertEquals(0x050f, flags, "HAS_FLAGS READ_ONLY FLUSH FUA MULTI_CONN CACHE");
    }

    @Test
    void exportNameForUnknownExportClosesTheConnection() {
        exchange(concat(clientFlags(3), option(OPT_EXPORT_NAME, hexBytes("nope"))), "");
        channel.runPendingTasks();
        assertFalse(channel.isActive());
    }

    @Test
    void startTlsIsRefusedByPolicyAndUnknownOptionsAreUnsupported() {
        exchange(concat(clientFlags(3), option(OPT_STARTTLS, new byte[0]), option(OPT_EXTENDED_HEADERS, new byte[0]),
                        option(0x4242, new byte[] {9, 9, 9, 9, 9}), option(OPT_STRUCTURED_REPLY, new byte[0])),
                reply(OPT_STARTTLS, REP_ERR_POLICY, hex("TLS is not configured on this server"))
                        + reply(OPT_EXTENDED_HEADERS, REP_ERR_UNSUP, hex("option EXTENDED_HEADERS is not supported"))
                        + reply(0x4242, REP_ERR_UNSUP, hex("option OPT_16962 is not supported"))
                        + reply(OPT_STRUCTURED_REPLY, REP_ACK, ""));
    }

    @Test
    void oversizedOptionIsSkippedAndAnsweredTooBig() {
        byte[] big = new byte[HandshakeSettings.DEFAULT.maxOptionBytes() + 1];
        open();
        readAllOutbound();
        channel.writeInbound(Unpooled.wrappedBuffer(concat(clientFlags(3), option(0x99, big))));
        channel.writeInbound(Unpooled.wrappedBuffer(option(OPT_STRUCTURED_REPLY, new byte[0])));
        assertEquals(reply(0x99, REP_ERR_TOO_BIG, hex("option data of 65537 bytes exceeds the limit of 65536"))
                + reply(OPT_STRUCTURED_REPLY, REP_ACK, ""), readAllOutbound());
    }

    @Test
    void abortIsAcknowledgedThenClosed() {
        exchange(concat(clientFlags(3), option(OPT_ABORT, new byte[] {1})), reply(OPT_ABORT, REP_ACK, ""));
        channel.runPendingTasks();
        assertFalse(channel.isActive());
    }

    @Test
    void unknownClientFlagsOrBadOptionMagicClose() {
        exchange(clientFlags(4 | 1), "");
        assertFalse(channel.isActive());
        exchange(concat(clientFlags(3), "GARBAGE!GARBAGE!GARBAGE!".getBytes(StandardCharsets.US_ASCII)), "");
        assertFalse(channel.isActive());
    }

    @Test
    void drainingServerAnswersShutdown() {
        draining = true;
        exchange(concat(clientFlags(3), option(OPT_GO, nameAndInfos("disk"))), reply(OPT_GO, REP_ERR_SHUTDOWN, hex("server is shutting down")));
        assertNull(session);
    }
}
