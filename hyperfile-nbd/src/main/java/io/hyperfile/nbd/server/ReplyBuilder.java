package io.hyperfile.nbd.server;

import io.hyperfile.core.block.Allocation;
import io.hyperfile.core.block.AllocationRun;
import io.hyperfile.core.block.ChangeRun;
import io.hyperfile.nbd.protocol.NbdConstants;
import io.hyperfile.nbd.protocol.NbdReply;
import io.hyperfile.nbd.protocol.NbdSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns device results into reply messages: the chunks of a structured READ (data, and runs that read as zeros of
 * at least {@link #MIN_HOLE_BYTES} as OFFSET_HOLE) and the one chunk of a BLOCK_STATUS. Only encoding choices are
 * made here; what reads as zeros is the device's answer. Stateless.
 */
final class ReplyBuilder {
    /** Most descriptors one BLOCK_STATUS reply carries (the spec's SHOULD limit); the client asks again for the rest. */
    static final int MAX_EXTENTS = 1 << 20;
    /** Zero runs shorter than this are sent as data rather than as a hole chunk. */
    static final int MIN_HOLE_BYTES = 4096;

    private ReplyBuilder() {
    }

    /**
     * The chunks answering a structured READ of {@code data.readableBytes()} bytes at {@code offset}. Takes
     * ownership of {@code data}. With {@code runs} null or empty (or not covering the read exactly) the whole read is
     * one OFFSET_DATA chunk; otherwise runs that read as zeros become OFFSET_HOLE chunks. The last chunk has DONE.
     */
    static List<NbdReply> readChunks(ByteBufAllocator alloc, long cookie, long offset, ByteBuf data, List<AllocationRun> runs) {
        int length = data.readableBytes();
        List<long[]> segments = runs == null || runs.isEmpty() ? null : segments(offset, length, runs);
        List<NbdReply> out = new ArrayList<>();
        if (segments == null || (segments.size() == 1 && segments.get(0)[2] == 0)) {
            out.add(NbdReply.offsetData(cookie, offset, data, true));
            return out;
        }
        try {
            for (int i = 0; i < segments.size(); i++) {
                long[] s = segments.get(i);
                boolean done = i == segments.size() - 1;
                int rel = (int) (s[0] - offset);
                int len = (int) (s[1] - s[0]);
                out.add(s[2] != 0 ? NbdReply.offsetHole(alloc, cookie, s[0], len, done)
                        : NbdReply.offsetData(cookie, s[0], data.retainedSlice(data.readerIndex() + rel, len), done));
            }
        } finally {
            data.release();
        }
        return out;
    }

    /** {@code [start, end, zero?1:0]} segments covering the read, or null if the runs do not cover it exactly. */
    private static List<long[]> segments(long offset, int length, List<AllocationRun> runs) {
        List<long[]> segs = new ArrayList<>();
        long cursor = offset;
        for (AllocationRun r : runs) {
            if (r.offset() != cursor) {
                return null;
            }
            long zero = r.allocation().readsAsZeros() && r.lengthBytes() >= MIN_HOLE_BYTES ? 1 : 0;
            long[] last = segs.isEmpty() ? null : segs.get(segs.size() - 1);
            if (last != null && last[2] == zero) {
                last[1] = r.end();
            } else {
                segs.add(new long[] {r.offset(), r.end(), zero});
            }
            cursor = r.end();
        }
        return cursor == offset + length ? segs : null;
    }

    /** The {@code base:allocation} flags for a run: DATA 0, ZERO (allocated zeros) ZERO, HOLE HOLE|ZERO. */
    static int stateFlags(Allocation allocation) {
        return switch (allocation) {
            case DATA -> 0;
            case ZERO -> NbdConstants.STATE_ZERO;
            case HOLE -> NbdConstants.STATE_HOLE | NbdConstants.STATE_ZERO;
        };
    }

    /**
     * The BLOCK_STATUS chunk (with DONE) for {@code runs}: adjacent runs with equal flags merged, at most one
     * descriptor with {@code reqOne}, at most {@link #MAX_EXTENTS} otherwise.
     */
    static NbdReply blockStatus(ByteBufAllocator alloc, long cookie, int contextId, List<AllocationRun> runs, boolean reqOne) {
        return blockStatus(alloc, cookie, contextId, runs, reqOne, true);
    }

    /** {@link #blockStatus} with DONE only if {@code done} (another context's chunk follows otherwise). */
    static NbdReply blockStatus(ByteBufAllocator alloc, long cookie, int contextId, List<AllocationRun> runs, boolean reqOne,
            boolean done) {
        long[] pairs = new long[2 * runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            pairs[2 * i] = runs.get(i).lengthBytes();
            pairs[2 * i + 1] = stateFlags(runs.get(i).allocation());
        }
        return descriptors(alloc, cookie, contextId, pairs, reqOne, done);
    }

    /**
     * The BLOCK_STATUS chunk of the {@code hyperfile:changed-since:} context: flag {@link NbdSession#STATE_CHANGED}
     * for changed runs, 0 for unchanged ones; merged and limited as {@link #blockStatus}.
     */
    static NbdReply changeStatus(ByteBufAllocator alloc, long cookie, List<ChangeRun> runs, boolean reqOne, boolean done) {
        long[] pairs = new long[2 * runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            pairs[2 * i] = runs.get(i).lengthBytes();
            pairs[2 * i + 1] = runs.get(i).changed() ? NbdSession.STATE_CHANGED : 0;
        }
        return descriptors(alloc, cookie, NbdSession.CHANGED_SINCE_CONTEXT_ID, pairs, reqOne, done);
    }

    /** One chunk of {@code (length, flags)} pairs: neighbours with equal flags merged, at most the limit. */
    private static NbdReply descriptors(ByteBufAllocator alloc, long cookie, int contextId, long[] pairs, boolean reqOne,
            boolean done) {
        int limit = reqOne ? 1 : MAX_EXTENTS;
        long[] extents = new long[2 * Math.min(limit, Math.max(1, pairs.length / 2))];
        int count = 0;
        for (int i = 0; i < pairs.length; i += 2) {
            long length = pairs[i];
            long flags = pairs[i + 1];
            if (count > 0 && extents[2 * count - 1] == flags && extents[2 * count - 2] + length <= 0xFFFF_FFFFL) {
                extents[2 * count - 2] += length;
                continue;
            }
            if (count == limit) {
                break;
            }
            extents[2 * count] = length;
            extents[2 * count + 1] = flags;
            count++;
        }
        return NbdReply.blockStatus(alloc, cookie, contextId, extents, count, done);
    }
}
