package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hyperfile.core.block.Allocation;
import io.hyperfile.core.block.AllocationRun;
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
        assertEquals("D100+50!", describe(ReplyBuilder.readChunks(alloc, 1, 100, Unpooled.buffer(50).writeZero(50), List.of())));
    }

    @Test
    void zeroRunsOfABlockOrMoreBecomeHolesSmallerOnesStayData() {
        List<AllocationRun> runs = List.of(
                new AllocationRun(1000, 3096, Allocation.DATA),
                new AllocationRun(4096, 8192, Allocation.HOLE),
                new AllocationRun(12288, 4096, Allocation.ZERO),
                new AllocationRun(16384, 4096, Allocation.DATA),
                new AllocationRun(20480, 100, Allocation.ZERO));
        ByteBuf data = Unpooled.buffer(19580).writeZero(19580);
        assertEquals("D1000+3096 H4096+12288 D16384+4196!", describe(ReplyBuilder.readChunks(alloc, 1, 1000, data, runs)));
    }

    @Test
    void runsThatDoNotCoverTheReadFallBackToData() {
        List<AllocationRun> runs = List.of(new AllocationRun(0, 4096, Allocation.HOLE));
        assertEquals("D0+8192!", describe(ReplyBuilder.readChunks(alloc, 1, 0, Unpooled.buffer(8192).writeZero(8192), runs)));
    }

    @Test
    void allHoleReadIsOneHoleChunk() {
        List<AllocationRun> runs = List.of(new AllocationRun(0, 65536, Allocation.HOLE));
        assertEquals("H0+65536!", describe(ReplyBuilder.readChunks(alloc, 1, 0, Unpooled.buffer(65536).writeZero(65536), runs)));
    }

    @Test
    void blockStatusMergesEqualFlagsAndHonoursReqOne() {
        List<AllocationRun> runs = List.of(
                new AllocationRun(0, 4096, Allocation.DATA),
                new AllocationRun(4096, 4096, Allocation.DATA),
                new AllocationRun(8192, 4096, Allocation.ZERO),
                new AllocationRun(12288, 4096, Allocation.HOLE));
        NbdReply r = ReplyBuilder.blockStatus(alloc, 5, 1, runs, false);
        assertEquals("00000001" + "00002000" + "00000000" + "00001000" + "00000002" + "00001000" + "00000003",
                ByteBufUtil.hexDump(r.content()));
        r.release();
        r = ReplyBuilder.blockStatus(alloc, 5, 1, runs, true);
        assertEquals("00000001" + "00002000" + "00000000", ByteBufUtil.hexDump(r.content()));
        r.release();
    }
}
