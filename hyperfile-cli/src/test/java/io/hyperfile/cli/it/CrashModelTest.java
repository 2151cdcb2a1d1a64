package io.hyperfile.cli.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The crash test's oracle must reject what it exists to catch: lost flushed writes and torn blocks. */
class CrashModelTest {
    private static final long FIRST = 1000;
    private final CrashModel.Verification[] stats = new CrashModel.Verification[1];

    private static byte[] region(long... seqs) {
        byte[] data = new byte[seqs.length * CrashModel.BLOCK_BYTES];
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] > 0) {
                System.arraycopy(CrashModel.content(seqs[i], FIRST + i), 0, data, i * CrashModel.BLOCK_BYTES, CrashModel.BLOCK_BYTES);
            }
        }
        return data;
    }

    /** Block 0: write a (acked), FLUSH (acked), write b (acked, not flushed), write c (never acked). */
    private static CrashModel flushedThenMore(long[] seqs) {
        CrashModel m = new CrashModel(FIRST, 2);
        seqs[0] = m.beginWrite(0);
        m.writeAcknowledged(0, seqs[0], false);
        m.flushAcknowledged(m.flushSent());
        seqs[1] = m.beginWrite(0);
        m.writeAcknowledged(0, seqs[1], false);
        seqs[2] = m.beginWrite(0);
        return m;
    }

    @Test
    void theFlushedWriteOrAnyLaterOneIsAccepted() {
        for (int pick = 0; pick < 3; pick++) {
            long[] s = new long[3];
            CrashModel m = flushedThenMore(s);
            assertNull(m.verify(region(s[pick], 0), stats), "version " + pick);
            assertEquals(1, stats[0].blocksWithDurableWrite());
        }
    }

    @Test
    void zerosOrAnOlderVersionInsteadOfTheFlushedWriteAreRejected() {
        long[] s = new long[3];
        String zeros = flushedThenMore(s).verify(region(0, 0), stats);
        assertNotNull(zeros);
        assertTrue(zeros.startsWith("block 1000 reads back write 0 but must hold write " + s[0]), zeros);
    }

    @Test
    void aWriteAcknowledgedOnlyAfterTheFlushWasSentIsNotDurable() {
        CrashModel m = new CrashModel(FIRST, 1);
        long a = m.beginWrite(0);
        long cut = m.flushSent();
        m.writeAcknowledged(0, a, false);
        m.flushAcknowledged(cut);
        assertNull(m.verify(region(0), stats), "the FLUSH was sent before the write's reply arrived");
    }

    @Test
    void anAcknowledgedFuaWriteIsDurableWithoutAFlush() {
        CrashModel m = new CrashModel(FIRST, 1);
        long a = m.beginWrite(0);
        m.writeAcknowledged(0, a, true);
        assertNotNull(m.verify(region(0), stats));
    }

    @Test
    void aTornBlockIsRejected() {
        long[] s = new long[3];
        CrashModel m = flushedThenMore(s);
        byte[] data = region(s[1], 0);
        System.arraycopy(CrashModel.content(s[0], FIRST), 2048, data, 2048, 2048); // second half from the older write
        String torn = m.verify(data, stats);
        assertNotNull(torn);
        assertTrue(torn.contains("holds content that no write produced"), torn);
    }

    @Test
    void aBlockWithAnotherBlocksContentIsRejected() {
        long[] s = new long[3];
        CrashModel m = flushedThenMore(s);
        byte[] data = region(0, 0);
        System.arraycopy(CrashModel.content(s[0], FIRST + 1), 0, data, 0, CrashModel.BLOCK_BYTES);
        assertNotNull(m.verify(data, stats));
    }

    @Test
    void whatWasReadBecomesTheNextBaseline() {
        long[] s = new long[3];
        CrashModel m = flushedThenMore(s);
        assertNull(m.verify(region(s[2], 0), stats));
        assertNotNull(m.verify(region(s[0], 0), stats), "after a clean reopen the block must keep what it had");
        assertNull(m.verify(region(s[2], 0), stats));
    }
}
