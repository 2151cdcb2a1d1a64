package io.hyperfile.cli.it;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What each block of the crash test's region may contain after a crash.
 *
 * <p>Every write gets a unique sequence number {@code seq > 0}, and its 4 KiB content is a pure function of
 * {@code (seq, blockNo)} ({@link #content}); seq 0 stands for zeros. The test never has two writes to one block in
 * flight, so the writes to a block are totally ordered. Per block the model keeps that order, starting with a
 * baseline (the content read back after the previous restart, durable by definition).
 *
 * <p>Durability cut: every acknowledged write gets an increasing ack number. A FLUSH remembers the ack number at
 * the moment it is sent (all those writes were replied to before the server received the FLUSH); when the FLUSH is
 * acknowledged, writes up to that number are durable. A FUA write is durable when acknowledged. After a crash, a
 * block may read back its newest durable version or any version written after it (acknowledged or not), and
 * nothing else: not an older version, not a mix of two versions.
 *
 * <p>Thread-safety: all methods are synchronized (the driver thread and the client's reader thread both call in).
 */
final class CrashModel {
    static final int BLOCK_BYTES = 4096;
    private static final long MAGIC = 0x4846_4352_4153_4831L; // "HFCRASH1"

    private static final class Version {
        final long seq;
        long ackNo; // 0 = not acknowledged
        boolean durable; // baseline, or an acknowledged FUA write

        Version(long seq) {
            this.seq = seq;
        }
    }

    /** What one verification found, for the test's statistics. */
    record Verification(int blocksWithDurableWrite, int keptUnacknowledged, int lostUnflushed, int readBackNewestAcked) {
    }

    private final long firstBlock;
    private final List<List<Version>> history;
    private long nextSeq = 1;
    private long acks;
    private long durableAckNo;
    private long writesAcked;
    private long writesVerified;

    CrashModel(long firstBlock, int blocks) {
        this.firstBlock = firstBlock;
        this.history = new ArrayList<>(blocks);
        for (int i = 0; i < blocks; i++) {
            Version zero = new Version(0);
            zero.durable = true;
            history.add(new ArrayList<>(List.of(zero)));
        }
    }

    int blocks() {
        return history.size();
    }

    long firstBlock() {
        return firstBlock;
    }

    /** Registers a write to block {@code index} of the region before it is sent; returns its seq. */
    synchronized long beginWrite(int index) {
        long seq = nextSeq++;
        history.get(index).add(new Version(seq));
        return seq;
    }

    synchronized void writeAcknowledged(int index, long seq, boolean fua) {
        for (Version v : history.get(index)) {
            if (v.seq == seq) {
                v.ackNo = ++acks;
                v.durable |= fua;
                writesAcked++;
                return;
            }
        }
        throw new IllegalStateException("no write " + seq + " to block index " + index);
    }

    /** The durability cut a FLUSH sent now would establish. */
    synchronized long flushSent() {
        return acks;
    }

    synchronized void flushAcknowledged(long cut) {
        durableAckNo = Math.max(durableAckNo, cut);
    }

    /** A graceful stop flushed everything: every acknowledged write is durable. */
    synchronized void everythingAcknowledgedIsDurable() {
        durableAckNo = acks;
    }

    synchronized long writesAcked() {
        return writesAcked;
    }

    /** Acknowledged writes that had to survive (durable, or overwritten by a durable write), over all verifications. */
    synchronized long writesVerified() {
        return writesVerified;
    }

    /**
     * Checks the block contents read back after a restart ({@code data} holds the whole region) and makes them
     * the new baselines. Returns null if all is well, else a description of the first bad block.
     */
    synchronized String verify(byte[] data, Verification[] stats) {
        int withDurable = 0;
        int keptUnacked = 0;
        int lost = 0;
        int newestAcked = 0;
        for (int i = 0; i < history.size(); i++) {
            long blockNo = firstBlock + i;
            List<Version> versions = history.get(i);
            long seq = decode(data, i * BLOCK_BYTES, blockNo);
            if (seq < 0) {
                return "block " + blockNo + " holds content that no write produced (torn or corrupt): "
                        + describe(data, i * BLOCK_BYTES) + "; history " + describe(versions);
            }
            int durable = durableIndex(versions);
            int newestAck = 0;
            for (int v = 0; v < versions.size(); v++) {
                if (versions.get(v).ackNo > 0) {
                    newestAck = v;
                }
            }
            int found = foundIndex(versions, durable, seq);
            if (found < 0) {
                return "block " + blockNo + " reads back write " + seq + " but must hold write "
                        + versions.get(durable).seq + " (acknowledged before an acknowledged FLUSH) or a later one; history "
                        + describe(versions);
            }
            writesVerified += durable; // writes 1..durable: each is on the disk, or a later write is
            withDurable += durable > 0 ? 1 : 0;
            keptUnacked += versions.get(found).ackNo == 0 && found > 0 ? 1 : 0;
            lost += found < newestAck ? 1 : 0;
            newestAcked += found == newestAck && newestAck > 0 ? 1 : 0;
            Version baseline = new Version(seq);
            baseline.durable = true;
            versions.clear();
            versions.add(baseline);
        }
        durableAckNo = acks;
        stats[0] = new Verification(withDurable, keptUnacked, lost, newestAcked);
        return null;
    }

    /**
     * How many blocks of the region in {@code data} {@link #verify} would reject (not read back as a version it
     * allows); changes nothing. For failure reports: verify stops at the first bad block.
     */
    synchronized int badBlocks(byte[] data) {
        int bad = 0;
        for (int i = 0; i < history.size(); i++) {
            List<Version> versions = history.get(i);
            long seq = decode(data, i * BLOCK_BYTES, firstBlock + i);
            if (seq < 0 || foundIndex(versions, durableIndex(versions), seq) < 0) {
                bad++;
            }
        }
        return bad;
    }

    /** The index of the newest version of a block that had to survive. */
    private int durableIndex(List<Version> versions) {
        int durable = 0;
        for (int v = 0; v < versions.size(); v++) {
            Version version = versions.get(v);
            if (version.durable || (version.ackNo > 0 && version.ackNo <= durableAckNo)) {
                durable = v;
            }
        }
        return durable;
    }

    /** The index of the newest version from {@code durable} on that wrote {@code seq}, or -1. */
    private static int foundIndex(List<Version> versions, int durable, long seq) {
        int found = -1;
        for (int v = durable; v < versions.size(); v++) {
            if (versions.get(v).seq == seq) {
                found = v;
            }
        }
        return found;
    }

    private static String describe(List<Version> versions) {
        StringBuilder sb = new StringBuilder("[");
        for (Version v : versions) {
            sb.append(sb.length() > 1 ? ", " : "").append(v.seq).append(v.ackNo > 0 ? "@ack" + v.ackNo : "@unacked")
                    .append(v.durable ? "(durable)" : "");
        }
        return sb.append("]").toString();
    }

    private static String describe(byte[] data, int offset) {
        ByteBuffer b = ByteBuffer.wrap(data, offset, BLOCK_BYTES);
        return String.format("header %016x %016x %016x", b.getLong(), b.getLong(), b.getLong());
    }

    /** The content of write {@code seq} to {@code blockNo}: a header naming both, then pseudo-random bytes. */
    static byte[] content(long seq, long blockNo) {
        byte[] data = new byte[BLOCK_BYTES];
        ByteBuffer b = ByteBuffer.wrap(data);
        b.putLong(MAGIC).putLong(seq).putLong(blockNo);
        long x = (seq * 0x9E3779B97F4A7C15L) ^ (blockNo * 0xC2B2AE3D27D4EB4FL) | 1;
        while (b.hasRemaining()) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(x);
        }
        return data;
    }

    /** The seq whose content {@code data[offset..+4096)} is: 0 for zeros, -1 for anything else. */
    static long decode(byte[] data, int offset, long blockNo) {
        ByteBuffer b = ByteBuffer.wrap(data, offset, BLOCK_BYTES);
        if (b.getLong() != MAGIC) {
            for (int i = offset; i < offset + BLOCK_BYTES; i++) {
                if (data[i] != 0) {
                    return -1;
                }
            }
            return 0;
        }
        long seq = b.getLong();
        if (seq <= 0 || b.getLong() != blockNo) {
            return -1;
        }
        byte[] expected = content(seq, blockNo);
        return Arrays.equals(data, offset, offset + BLOCK_BYTES, expected, 0, BLOCK_BYTES) ? seq : -1;
    }
}
