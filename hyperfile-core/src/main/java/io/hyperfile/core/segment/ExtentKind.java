package io.hyperfile.core.segment;

/** What a range of blocks holds, as recorded in a segment's extent table and reported by block status. */
public enum ExtentKind {
    /** Data stored in a segment. */
    DATA(0),
    /** Zeros, stored as no data (WRITE_ZEROES, or written blocks that were all zero). */
    ZERO(1),
    /** Nothing: never written, or trimmed. Reads as zeros. */
    HOLE(2);

    private final int code;

    ExtentKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ExtentKind fromCode(int code) {
        return switch (code) {
            case 0 -> DATA;
            case 1 -> ZERO;
            case 2 -> HOLE;
            default -> throw new IllegalArgumentException("unknown extent kind " + code);
        };
    }
}
