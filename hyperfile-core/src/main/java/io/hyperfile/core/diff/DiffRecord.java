package io.hyperfile.core.diff;

/**
 * One record of a diff file: bytes {@code [offset, offset + length)} of the target either hold {@code data}
 * ({@link Kind#DATA}, {@code data.length == length}) or read as zeroes ({@link Kind#ZERO}: a hole, a trim or
 * written zeroes in the target; {@code data} is null). Offsets and lengths are multiples of the block size.
 * The data array is not copied: whoever builds or receives a record owns it.
 */
public record DiffRecord(Kind kind, long offset, long length, byte[] data) {
    /** Record kinds and their byte on the wire. */
    public enum Kind {
        DATA(1), ZERO(2);

        final int code;

        Kind(int code) {
            this.code = code;
        }
    }

    public DiffRecord {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("bad diff record. offset=" + offset + ", length=" + length);
        }
        if ((kind == Kind.DATA) != (data != null) || data != null && data.length != length) {
            throw new IllegalArgumentException("a DATA record carries exactly its length in data, a ZERO record none");
        }
    }

    public static DiffRecord data(long offset, byte[] data) {
        return new DiffRecord(Kind.DATA, offset, data.length, data);
    }

    public static DiffRecord zero(long offset, long length) {
        return new DiffRecord(Kind.ZERO, offset, length, null);
    }
}
