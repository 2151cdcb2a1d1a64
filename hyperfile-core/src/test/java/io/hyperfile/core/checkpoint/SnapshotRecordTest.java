package io.hyperfile.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hyperfile.core.CorruptionException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SnapshotRecordTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String KEY = "disk0/snap/before";
    /** Seq 42, as in the SnapshotRecord Javadoc and docs/FORMAT.md. */
    private static final String GOLDEN_42 = "4846534e41505348" + "0100" + "0000" + "2a00000000000000" + "2a3ff7d3";

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Test
    void matchesGoldenBytes() {
        assertEquals(GOLDEN_42, HEX.formatHex(bytes(new SnapshotRecord(42).encode())));
        assertEquals(new SnapshotRecord(42), SnapshotRecord.decode(KEY, ByteBuffer.wrap(HEX.parseHex(GOLDEN_42))));
    }

    @Test
    void roundTripsAtTheLimits() {
        for (long seq : new long[] {0, 1, (1L << 40) - 1, Long.MAX_VALUE}) {
            ByteBuffer encoded = new SnapshotRecord(seq).encode();
            assertEquals(SnapshotRecord.BYTES, encoded.remaining());
            assertEquals(seq, SnapshotRecord.decode(KEY, encoded).seq());
        }
        assertThrows(IllegalArgumentException.class, () -> new SnapshotRecord(-1));
    }

    @Test
    void decodesFromABufferThatDoesNotStartAtZero() {
        ByteBuffer wrapped = ByteBuffer.allocate(40).position(7);
        wrapped.put(new SnapshotRecord(9).encode()).flip().position(7);
        assertEquals(9, SnapshotRecord.decode(KEY, wrapped).seq());
    }

    @Test
    void readsTheLegacyAsciiForm() {
        assertEquals(42, SnapshotRecord.decode(KEY, ascii("42\n")).seq());
        assertEquals(7, SnapshotRecord.decode(KEY, ascii("7")).seq());
        assertEquals(0, SnapshotRecord.decode(KEY, ascii("0\n")).seq());
    }

    @Test
    void everyFlippedBitIsCorruptionNamingTheKey() {
        byte[] good = bytes(new SnapshotRecord(42).encode());
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            CorruptionException e = assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ByteBuffer.wrap(bad)),
                    "bit " + bit);
            assertEquals(KEY, e.key());
            assertEquals(true, e.getMessage().startsWith("corrupt data in " + KEY + " at offset "), e.getMessage());
        }
    }

    @Test
    void aChecksumMismatchSaysStoredAndComputed() {
        byte[] bad = bytes(new SnapshotRecord(42).encode());
        bad[12] = 43;
        CorruptionException e = assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ByteBuffer.wrap(bad)));
        assertEquals(20, e.offset());
        assertEquals(true, e.getMessage().matches("corrupt data in disk0/snap/before at offset 20: snapshot record checksum"
                + " mismatch: stored [0-9a-f]{8}, computed [0-9a-f]{8}"), e.getMessage());
    }

    @Test
    void garbageTruncationAndUnknownVersionsAreCorruption() {
        assertEquals("corrupt data in disk0/snap/before at offset 0: not a snapshot record (bad magic) nor a legacy checkpoint"
                + " number: 3 bytes '4x?'", assertThrows(CorruptionException.class,
                        () -> SnapshotRecord.decode(KEY, ascii("4x\n"))).getMessage());
        assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ascii("")));
        assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ascii("-5\n")));
        assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ascii("99999999999999999999\n")));
        byte[] truncated = new byte[20];
        new SnapshotRecord(42).encode().get(truncated);
        assertEquals("corrupt data in disk0/snap/before at offset 0: snapshot record has 20 bytes, expected 24",
                assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, ByteBuffer.wrap(truncated))).getMessage());

        ByteBuffer v2 = new SnapshotRecord(42).encode().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        v2.putShort(8, (short) 2);
        v2.putInt(20, io.hyperfile.core.format.Crc32c.of(v2.array(), 0, 20));
        assertEquals("corrupt data in disk0/snap/before at offset 8: snapshot record version 2 is not supported; this build"
                + " reads version 1", assertThrows(CorruptionException.class, () -> SnapshotRecord.decode(KEY, v2)).getMessage());
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }
}
