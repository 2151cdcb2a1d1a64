package io.hyperfile.core.format;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteCodingTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void varIntsMatchTheDocumentedExamples() {
        assertEquals("00", hex(0));
        assertEquals("7f", hex(127));
        assertEquals("8001", hex(128));
        assertEquals("ac02", hex(300));
        assertEquals("ff7f", hex(16_383)); // the largest two-byte value
        assertEquals("808001", hex(16_384)); // the smallest three-byte value
        assertEquals("ffffffffffffffffff01", hex(-1));
        long[] values = {0, 1, 127, 128, 16_383, 16_384, 1L << 48, Long.MAX_VALUE, Long.MIN_VALUE, -1};
        for (long v : values) {
            byte[] bytes = new ByteWriter(0).varLong(v).toByteArray();
            assertEquals(VarInts.size(v), bytes.length, "size of " + v);
            ByteReader r = new ByteReader(bytes);
            assertEquals(v, r.varLong());
            assertEquals(0, r.remaining());
        }
    }

    private static String hex(long v) {
        return HEX.formatHex(new ByteWriter(1).varLong(v).toByteArray());
    }

    @Test
    void malformedVarIntsAreRejected() {
        assertEquals("var-int not minimally encoded at position 0", reject("8000"));
        assertEquals("truncated var-int at position 0", reject("80"));
        assertEquals("var-int longer than 64 bits at position 0", reject("ffffffffffffffffff02"));
        assertEquals("var-int longer than 64 bits at position 0", reject("ffffffffffffffffff8100"));
    }

    private static String reject(String hex) {
        return assertThrows(FormatException.class, () -> new ByteReader(HEX.parseHex(hex)).varLong()).getMessage();
    }

    @Test
    void fixedWidthFieldsAreLittleEndian() {
        byte[] bytes = new ByteWriter(15).u8(0xAB).u16(0x1234).i32(0x01020304).i64(0x1122334455667788L).toByteArray();
        assertEquals("ab" + "3412" + "04030201" + "8877665544332211", HEX.formatHex(bytes));
        ByteReader r = new ByteReader(bytes);
        assertEquals(0xAB, r.u8());
        assertEquals(0x1234, r.u16());
        assertEquals(0x01020304, r.i32());
        assertEquals(0x1122334455667788L, r.i64());
        FormatException e = assertThrows(FormatException.class, r::u8);
        assertEquals("truncated: need 1 bytes at position 15, 0 left", e.getMessage());
    }

    @Test
    void crc32cMatchesTheStandardCheckValue() {
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xE3069283, Crc32c.of(check));
        ByteBuffer buffer = ByteBuffer.wrap(check);
        assertEquals(0xE3069283, Crc32c.of(buffer));
        assertEquals(0, buffer.position());
    }

    @Test
    void formatVersionsRoundTripAndUnknownOnesAreRejected() {
        assertEquals(FormatVersion.V1, FormatVersion.fromNumber(FormatVersion.CURRENT.number()));
        FormatException e = assertThrows(FormatException.class, () -> FormatVersion.fromNumber(9));
        assertEquals("unsupported format version 9; this build reads versions 1 to 4", e.getMessage());
        assertEquals(FormatVersion.V2, FormatVersion.fromNumber(2));
        assertEquals(FormatVersion.V3, FormatVersion.fromNumber(3));
        assertEquals(FormatVersion.V4, FormatVersion.fromNumber(4));
    }
}
