package io.hyperfile.core.encoding;

import java.util.Locale;

/** A compression codec for segment data frames, with the code that the format stores for it. */
public enum Compression {
    /** Frames are stored raw: each block followed by its checksum, exactly as in an unencoded segment. */
    NONE(0, "none"),
    /** LZ4 (block format): fast, modest ratios. */
    LZ4(1, "lz4"),
    /** Zstandard (frame format) at a level: slower to write, better ratios, reads about as fast as LZ4. */
    ZSTD(2, "zstd");

    /** By code; {@code values()} copies its array on every call, and frame reads ask for a codec per frame. */
    private static final Compression[] BY_CODE = {NONE, LZ4, ZSTD};
    private final int code;
    private final String label;

    Compression(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The 4-bit code stored in the descriptor and in each frame's directory entry. */
    public int code() {
        return code;
    }

    public String label() {
        return label;
    }

    /** The codec stored as {@code code}; {@link IllegalArgumentException} for an unknown one. */
    public static Compression fromCode(int code) {
        if (code >= 0 && code < BY_CODE.length) {
            return BY_CODE[code];
        }
        throw new IllegalArgumentException("unknown compression code " + code);
    }

    /** The codec named {@code label} (case-insensitive); {@link IllegalArgumentException} listing the names otherwise. */
    public static Compression fromLabel(String label) {
        for (Compression c : values()) {
            if (c.label.equals(label.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown compression '" + label + "': use none, lz4 or zstd[:LEVEL]");
    }
}
