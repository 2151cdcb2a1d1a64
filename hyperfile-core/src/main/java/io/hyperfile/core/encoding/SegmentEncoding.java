package io.hyperfile.core.encoding;

/**
 * How a volume's segments store their data: the compression codec and, for Zstandard, its level, and whether the
 * objects are encrypted. Fixed when the volume is created (its descriptor records it) and shared by its clones,
 * which read their parent's segments.
 *
 * <p>Compression changes the segment's layout (frames, format version 3); encryption does not: it wraps whole
 * objects in the store layer ({@code core.crypto.EncryptingObjectStore}), so a segment's plaintext is laid out
 * exactly as in an unencrypted volume of the same compression.
 *
 * @param compression the codec; {@link Compression#NONE} keeps the unencoded layout of format version 1
 * @param level the Zstandard level (1..19); 0 for the other codecs
 * @param encryption the cipher of the volume's segments
 * @param frameBytes bytes of blocks per compressed frame (a power of two, 4 KiB to 1 MiB); 0 without compression
 */
public record SegmentEncoding(Compression compression, int level, Encryption encryption, int frameBytes) {
    /** Unencoded segments (format version 1 layout). */
    public static final SegmentEncoding NONE = new SegmentEncoding(Compression.NONE, 0);
    public static final int DEFAULT_ZSTD_LEVEL = 3;
    public static final int MAX_ZSTD_LEVEL = 19;
    /**
     * Frame size of new lz4 volumes: a 4 KiB read decompresses (and, encrypted, decrypts) one frame, so small frames
     * read fast at random; lz4 is the codec chosen for speed (docs/ENCODING.md, "Frame size").
     */
    public static final int DEFAULT_LZ4_FRAME_BYTES = 4 << 10;
    /** Frame size of new zstd volumes: zstd is the codec chosen for space, and packs better with more context. */
    public static final int DEFAULT_ZSTD_FRAME_BYTES = 16 << 10;
    /** Frame size of compressed volumes created before the frame size was a choice (descriptor byte 59 zero). */
    public static final int LEGACY_FRAME_BYTES = 64 << 10;
    public static final int MIN_FRAME_BYTES = 4 << 10;
    public static final int MAX_FRAME_BYTES = 1 << 20;

    public SegmentEncoding {
        java.util.Objects.requireNonNull(encryption, "encryption");
        if (compression == Compression.NONE ? frameBytes != 0 : Integer.bitCount(frameBytes) != 1
                || frameBytes < MIN_FRAME_BYTES || frameBytes > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException(compression == Compression.NONE ? "only compressed volumes have frames. frameBytes="
                    + frameBytes : "frame size must be a power of two from 4 KiB to 1 MiB. frameBytes=" + frameBytes);
        }
        if (compression == Compression.ZSTD ? level < 1 || level > MAX_ZSTD_LEVEL : level != 0) {
            throw new IllegalArgumentException(compression == Compression.ZSTD
                    ? "zstd level must be in 1.." + MAX_ZSTD_LEVEL + ". level=" + level
                    : compression.label() + " takes no level. level=" + level);
        }
    }

    /** Unencrypted segments of {@code compression}, in frames of the codec's default size. */
    public SegmentEncoding(Compression compression, int level) {
        this(compression, level, Encryption.NONE);
    }

    /** Segments of {@code compression} (in frames of the codec's default size) and {@code encryption}. */
    public SegmentEncoding(Compression compression, int level, Encryption encryption) {
        this(compression, level, encryption, defaultFrameBytes(compression));
    }

    /** The frame size new volumes of {@code compression} get unless told otherwise; 0 for none. */
    public static int defaultFrameBytes(Compression compression) {
        return switch (compression) {
            case NONE -> 0;
            case LZ4 -> DEFAULT_LZ4_FRAME_BYTES;
            case ZSTD -> DEFAULT_ZSTD_FRAME_BYTES;
        };
    }

    /** This encoding with {@code cipher} in place of its encryption. */
    public SegmentEncoding withEncryption(Encryption cipher) {
        return new SegmentEncoding(compression, level, cipher, frameBytes);
    }

    /** This encoding with frames of {@code bytes} (compressed encodings only). */
    public SegmentEncoding withFrameBytes(int bytes) {
        return new SegmentEncoding(compression, level, encryption, bytes);
    }

    /** Blocks per frame at {@code blockSize}: at least one. */
    public int blocksPerFrame(int blockSize) {
        return Math.max(1, frameBytes / blockSize);
    }

    /** Whether the volume's segments (and GC's live tables) are encrypted. */
    public boolean isEncrypted() {
        return encryption != Encryption.NONE;
    }

    /** Whether segments use the framed layout (format version 3) rather than version 1's. */
    public boolean isEncoded() {
        return compression != Compression.NONE;
    }

    /**
     * Parses {@code none}, {@code lz4}, {@code zstd} or {@code zstd:LEVEL}; {@link IllegalArgumentException} with a
     * one-line message otherwise.
     */
    public static SegmentEncoding parseCompression(String text) {
        String s = text.trim();
        int colon = s.indexOf(':');
        Compression c = Compression.fromLabel(colon < 0 ? s : s.substring(0, colon));
        if (colon < 0) {
            return new SegmentEncoding(c, c == Compression.ZSTD ? DEFAULT_ZSTD_LEVEL : 0);
        }
        if (c != Compression.ZSTD) {
            throw new IllegalArgumentException("compression '" + text + "': only zstd takes a level (zstd:1 to zstd:"
                    + MAX_ZSTD_LEVEL + ")");
        }
        int level;
        try {
            level = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("compression '" + text + "': the zstd level must be a number in 1.."
                    + MAX_ZSTD_LEVEL);
        }
        if (level < 1 || level > MAX_ZSTD_LEVEL) {
            throw new IllegalArgumentException("compression '" + text + "': the zstd level must be in 1.." + MAX_ZSTD_LEVEL);
        }
        return new SegmentEncoding(c, level);
    }

    /** The form {@link #parseCompression} reads: {@code none}, {@code lz4}, {@code zstd:3}. */
    public String describe() {
        return compression == Compression.ZSTD ? "zstd:" + level : compression.label();
    }

    /** The codec that compresses this encoding's frames (null for {@link Compression#NONE}). */
    public FrameCodec codec() {
        return FrameCodec.of(compression, level);
    }

    @Override
    public String toString() {
        return isEncrypted() ? describe() + "+" + encryption.label() : describe();
    }
}
