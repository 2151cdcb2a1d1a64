package io.hyperfile.core.format;

/**
 * Version of the on-store format as a whole (descriptor, segments, index nodes). Written into the volume descriptor
 * at create time and checked on open. Every change to a documented byte layout adds a constant here and moves
 * {@link #CURRENT}.
 */
public enum FormatVersion {
    /** The first format: index nodes as in {@code docs/FORMAT.md} "Index nodes". */
    V1(1),
    /**
     * A clone's descriptor: version 1's 128 bytes followed by the clone's origin (docs/CLONES.md). Written only for
     * clones; segments and index nodes are those of version 1.
     */
    V2(2),
    /**
     * An encoded volume (docs/ENCODING.md): its descriptor records the segment encoding (128 bytes, or 224 for a
     * clone), and its segments carry a frame directory after the header and store their data in frames, compressed
     * or raw (docs/FORMAT.md, "Encoded segments"). Written only for volumes created with an encoding; index nodes
     * are those of version 1.
     */
    V3(3),
    /**
     * An encrypted volume (docs/ENCRYPTION.md): version 3's descriptor (128 bytes, or 224 for a clone) with the cipher
     * in byte 58 (the codec byte may be 0: no compression). Its segments and GC live tables are stored in encrypted
     * envelopes; inside, a segment is laid out as in version 1 (no compression) or 3 (compressed).
     */
    V4(4);

    /** The version new volumes are created with. */
    public static final FormatVersion CURRENT = V1;

    private final int number;

    FormatVersion(int number) {
        this.number = number;
    }

    /** The number stored on disk. */
    public int number() {
        return number;
    }

    /** The version stored as {@code number}; {@link FormatException} if this build does not know it. */
    public static FormatVersion fromNumber(int number) {
        for (FormatVersion v : values()) {
            if (v.number == number) {
                return v;
            }
        }
        throw new FormatException("unsupported format version %d; this build reads versions 1 to %d"
                .formatted(number, values()[values().length - 1].number));
    }
}
