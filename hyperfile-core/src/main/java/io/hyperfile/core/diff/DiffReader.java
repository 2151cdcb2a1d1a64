package io.hyperfile.core.diff;

import io.hyperfile.core.CorruptionException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Reads a diff file written by {@link DiffWriter} from a stream, checking as it goes: the header's CRC, each
 * record's CRC, order, alignment and bounds, and at the end the trailer's counts and chain CRC, and that nothing
 * follows it. A failed check throws {@link CorruptionException} naming the stream and the byte offset. Records are
 * handed out as they are read, so a caller that applies them must be ready for a failure after some were applied
 * (docs/DIFF.md, "Interrupted imports"). Not thread-safe. Does not close the stream.
 */
public final class DiffReader {
    private final InputStream in;
    private final String name;
    private final DiffHeader header;
    private final CRC32C chain = new CRC32C();
    private long position;
    private long records;
    private long dataBytes;
    private long zeroBytes;
    private long nextOffset;
    private boolean ended;

    /** Reads and checks the header at once. */
    public DiffReader(InputStream in, String name) throws IOException {
        this.in = in;
        this.name = name;
        byte[] h = readFully(DiffHeader.BYTES, "header");
        this.header = DiffHeader.decode(name, h);
        chainCrc(ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(DiffHeader.BYTES - 4));
    }

    public DiffHeader header() {
        return header;
    }

    /** The next record, or null after the trailer (checked) was read. */
    public DiffRecord next() throws IOException {
        if (ended) {
            return null;
        }
        long at = position;
        byte[] first = readFully(1, "record");
        int kind = first[0] & 0xFF;
        if (kind == DiffWriter.END) {
            readTrailer(at, first[0]);
            return null;
        }
        byte[] h = new byte[DiffWriter.RECORD_HEADER_BYTES];
        h[0] = first[0];
        System.arraycopy(readFully(DiffWriter.RECORD_HEADER_BYTES - 1, "record header"), 0, h, 1, DiffWriter.RECORD_HEADER_BYTES - 1);
        ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
        long offset = b.getLong(4);
        long length = b.getLong(12);
        int stored = b.getInt(20);
        int bs = header.blockSizeBytes();
        if (kind != DiffRecord.Kind.DATA.code && kind != DiffRecord.Kind.ZERO.code) {
            throw new CorruptionException(name, at, "unknown diff record kind " + kind);
        }
        if (offset < nextOffset || length <= 0 || offset % bs != 0 || length % bs != 0
                || offset > header.targetSizeBytes() - length) {
            throw new CorruptionException(name, at, "diff record out of order, unaligned or past the target size: offset="
                    + offset + ", length=" + length);
        }
        byte[] data = null;
        if (kind == DiffRecord.Kind.DATA.code) {
            if (length > DiffWriter.MAX_DATA_BYTES) {
                throw new CorruptionException(name, at, "DATA record of " + length + " bytes (at most " + DiffWriter.MAX_DATA_BYTES + ")");
            }
            data = readFully((int) length, "record data");
        }
        int crc = DiffWriter.recordCrc(h, data);
        if (crc != stored) {
            throw CorruptionException.checksum(name, at, "diff record at offset " + offset, stored, crc);
        }
        chainCrc(crc);
        records++;
        nextOffset = offset + length;
        if (data != null) {
            dataBytes += length;
            return DiffRecord.data(offset, data);
        }
        zeroBytes += length;
        return DiffRecord.zero(offset, length);
    }

    private void readTrailer(long at, byte first) throws IOException {
        byte[] t = new byte[DiffWriter.TRAILER_BYTES];
        t[0] = first;
        System.arraycopy(readFully(DiffWriter.TRAILER_BYTES - 1, "trailer"), 0, t, 1, DiffWriter.TRAILER_BYTES - 1);
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(t, 0, DiffWriter.TRAILER_BYTES - 4);
        if (b.getInt(32) != (int) crc.getValue()) {
            throw CorruptionException.checksum(name, at, "diff trailer", b.getInt(32), (int) crc.getValue());
        }
        if (b.getLong(4) != records || b.getLong(12) != dataBytes || b.getLong(20) != zeroBytes) {
            throw new CorruptionException(name, at, "diff trailer counts " + b.getLong(4) + " records, " + b.getLong(12)
                    + " DATA and " + b.getLong(20) + " ZERO bytes; the stream had " + records + ", " + dataBytes + " and " + zeroBytes);
        }
        if (b.getInt(28) != (int) chain.getValue()) {
            throw CorruptionException.checksum(name, at, "diff record chain (a record was dropped, repeated or moved)",
                    b.getInt(28), (int) chain.getValue());
        }
        if (in.read() >= 0) {
            throw new CorruptionException(name, position, "bytes after the diff trailer");
        }
        ended = true;
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

    private byte[] readFully(int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new CorruptionException(name, position + b.length, "diff truncated in the " + what,
                    new EOFException());
        }
        position += n;
        return b;
    }

    private void chainCrc(int crc) {
        byte[] b = new byte[4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(crc);
        chain.update(b);
    }
}
