package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.segment.ExtentKind;
import io.hyperfile.core.volume.BlockStatusRun;
import io.hyperfile.nbd.protocol.NbdReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyBuilderTest {
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    private static String describe(List<NbdReply> chunks) {
        StringBuilder s = new StringBuilder();
        for (NbdReply r : chunks) {
            NbdReply.Chunk c = (NbdReply.Chunk) r;
            if (c.type() == REPLY_TYPE_OFFSET_DATA) {
                s.append("D").append(c.dataOffset()).append('+').append(c.content().readableBytes());
            } else {
                ByteBuf p = c.content();
                s.append("H").append(p.getLong(0)).append('+').append(p.getInt(8));
            }
            s.append(c.isDone() ? "! " : " ");
            r.release();
        }
        return s.toString().trim();
    }

    @Test
    void readWithoutRunsIsOneDataChunk() {
        assertEquals("D100+50!", describe(ReplyBuilder.readChunks(alloc, 1, 100, Unpooled.buffer(50).writeZero(50), null)));
    }

    @Test
    void zeroRunsOfABlockOrMoreBecomeHolesSmallerOnesStayData() {
        List<BlockStatusRun> runs = List.of(
                new BlockStatusRun(1000, 3096, ExtentKind.DATA),
                new BlockStatusRun(4096, 8192, ExtentKind.HOLE),
                new BlockStatusRun(12288, 4096, ExtentKind.ZERO),
                new BlockStatusRun(16384, 4096, ExtentKind.DATA),
                new BlockStatusRun(20480, 100, ExtentKind.ZERO));
        ByteBuf data = Unpooled.buffer(19580).writeZero(19580);
        assertEquals("D1000+3096 H4096+12288 D16384+4196!", describe(ReplyBuilder.readChunks(alloc, 1, 1000, data, runs)));
    }

    @Test
    void runsThatDoNotCoverTheReadFallBackToData() {
        List<BlockStatusRun> runs = List.of(new BlockStatusRun(0, 4096, ExtentKind.HOLE));
        assertEquals("D0+8192!", describe(ReplyBuilder.readChunks(alloc, 1, 0, Unpooled.buffer(8192).writeZero(8192), runs)));
    }

    @Test
    void allHoleReadIsOneHoleChunk() {
        List<BlockStatusRun> runs = List.of(new BlockStatusRun(0, 65536, ExtentKind.HOLE));
        assertEquals("H0+65536!", describe(ReplyBuilder.readChunks(alloc, 1, 0, Unpooled.buffer(65536).writeZero(65536), runs)));
    }

    @Test
    void blockStatusMergesEqualFlagsAndHonoursReqOne() {
        List<BlockStatusRun> runs = List.of(
                new BlockStatusRun(0, 4096, ExtentKind.DATA),
                new BlockStatusRun(4096, 4096, ExtentKind.DATA),
                new BlockStatusRun(8192, 4096, ExtentKind.ZERO),
                new BlockStatusRun(12288, 4096, ExtentKind.HOLE));
        NbdReply r = ReplyBuilder.blockStatus(alloc, 5, 1, runs, false);
        assertEquals("00000001" + "00002000" + "00000000" + "00001000" + "00000002" + "00001000" + "00000003",
                ByteBufUtil.hexDump(r.content()));
        r.release();
        r = ReplyBuilder.blockStatus(alloc, 5, 1, runs, true);
        assertEquals("00000001" + "00002000" + "00000000", ByteBufUtil.hexDump(r.content()));
        r.release();
    }
}
