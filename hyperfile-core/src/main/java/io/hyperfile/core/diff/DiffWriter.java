package io.hyperfile.core.diff;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Writes a diff file to a stream, front to back (so it can go to stdout): the {@link DiffHeader}, records in
 * increasing offset order, then a trailer. Each record is, little-endian:
 *
 * <pre>
 * offset size field
 *   0     1   kind: 1 DATA, 2 ZERO
 *   1     3   reserved (0)
 *   4     8   offset in bytes (a multiple of the block size)
 *  12     8   length in bytes (a multiple of the block size, &gt; 0; DATA: at most {@value #MAX_DATA_BYTES})
 *  20     4   CRC32C of bytes 0..19 followed by the data
 *  24     -   DATA only: length bytes of data
 * </pre>
 *
 * and the trailer:
 *
 * <pre>
 *   0     1   kind 0xFF (end)
 *   1     3   reserved (0)
 *   4     8   record count
 *  12     8   DATA bytes in all records
 *  20     8   ZERO bytes in all records
 *  28     4   chain CRC: CRC32C over the header's CRC and then each record's CRC, 4 bytes each, in order
 *  32     4   CRC32C of bytes 0..31
 * </pre>
 *
 * The chain CRC ties the records to the header and to each other: a record dropped, repeated or moved is caught.
 * Not thread-safe. Does not close the stream.
 */
public final class DiffWriter {
    /** Largest DATA record; longer runs are split. */
    public static final int MAX_DATA_BYTES = 4 << 20;
    static final int RECORD_HEADER_BYTES = 24;
    static final int TRAILER_BYTES = 36;
    static final int END = 0xFF;

    private final OutputStream out;
    private final DiffHeader header;
    private final CRC32C chain = new CRC32C();
    private long records;
    private long dataBytes;
    private long zeroBytes;
    private long nextOffset;

    /** Writes the header at once. */
    public DiffWriter(OutputStream out, DiffHeader header) throws IOException {
        this.out = out;
        this.header = header;
        byte[] h = header.encode();
        out.write(h);
        chainCrc(ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(DiffHeader.BYTES - 4));
    }

    /** Appends a record; records must come in increasing, non-overlapping offset order. */
    public void write(DiffRecord r) throws IOException {
        int bs = header.blockSizeBytes();
        if (r.offset() < nextOffset || r.offset() % bs != 0 || r.length() % bs != 0
                || r.offset() + r.length() > header.targetSizeBytes()) {
            throw new IllegalArgumentException("diff record out of order, unaligned or past the target size: offset="
                    + r.offset() + ", length=" + r.length());
        }
        if (r.kind() == DiffRecord.Kind.DATA && r.length() > MAX_DATA_BYTES) {
            throw new IllegalArgumentException("DATA record longer than " + MAX_DATA_BYTES + " bytes. length=" + r.length());
        }
        ByteBuffer h = ByteBuffer.allocate(RECORD_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.put((byte) r.kind().code).put((byte) 0).putShort((short) 0).putLong(r.offset()).putLong(r.length());
        int crc = recordCrc(h.array(), r.data());
        h.putInt(crc);
        out.write(h.array());
        if (r.data() != null) {
            out.write(r.data());
            dataBytes += r.length();
        } else {
            zeroBytes += r.length();
        }
        chainCrc(crc);
        records++;
        nextOffset = r.offset() + r.length();
    }

    /** Writes the trailer and flushes the stream. */
    public void finish() throws IOException {
        ByteBuffer t = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        t.put((byte) END).put((byte) 0).putShort((short) 0).putLong(records).putLong(dataBytes).putLong(zeroBytes)
                .putInt((int) chain.getValue());
        CRC32C crc = new CRC32C();
        crc.update(t.array(), 0, TRAILER_BYTES - 4);
        t.putInt((int) crc.getValue());
        out.write(t.array());
        out.flush();
    }

    public long records() {
        return records;
    }

    public long dataBytes() {
        return dataBytes;
    }

    public long zeroBytes() {
        return zeroBytes;
    }

    static int recordCrc(byte[] header, byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, RECORD_HEADER_BYTES - 4);
        if (data != null) {
            crc.update(data);
        }
        return (int) crc.getValue();
    }

    private void chainCrc(int crc) {
        byte[] b = new byte[4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(crc);
        chain.update(b);
    }
}
