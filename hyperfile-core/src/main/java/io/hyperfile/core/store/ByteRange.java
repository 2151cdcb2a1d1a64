package io.hyperfile.core.store;

/**
 * Which bytes of an object a {@link ObjectStore#get get} returns. Mirrors the HTTP {@code Range} forms that S3
 * accepts: the whole object, {@code offset..offset+length-1}, {@code offset..end}, and the last {@code length}
 * bytes (a suffix range, which reaches a fixed-size footer in one request without knowing the object's size).
 *
 * <p>A range that starts inside the object but runs past its end is cut at the end. A range that starts at or
 * beyond the end of a non-empty object fails with {@link InvalidRangeException}. On an empty object,
 * {@link #all()} and any suffix range return zero bytes.
 */
public sealed interface ByteRange {

    /** The whole object. */
    static ByteRange all() {
        return All.INSTANCE;
    }

    /** {@code length} bytes from {@code offset}; both must be non-negative and length positive. */
    static ByteRange of(long offset, long length) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be non-negative. offset=" + offset);
        }
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive. length=" + length);
        }
        if (offset + length < 0) {
            throw new IllegalArgumentException("offset + length overflows. offset=" + offset + ", length=" + length);
        }
        return new Span(offset, length);
    }

    /** Everything from {@code offset} to the end of the object. */
    static ByteRange from(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be non-negative. offset=" + offset);
        }
        return offset == 0 ? All.INSTANCE : new From(offset);
    }

    /** The last {@code length} bytes (all of them if the object is shorter). */
    static ByteRange suffix(long length) {
        if (length <= 0) {
            throw new IllegalArgumentException("suffix length must be positive. length=" + length);
        }
        return new Suffix(length);
    }

    /** The value of an HTTP {@code Range} header for this range, or null for the whole object. */
    String httpHeader();

    record All() implements ByteRange {
        static final All INSTANCE = new All();

        @Override
        public String httpHeader() {
            return null;
        }
    }

    record Span(long offset, long length) implements ByteRange {
        @Override
        public String httpHeader() {
            return "bytes=" + offset + "-" + (offset + length - 1);
        }
    }

    record From(long offset) implements ByteRange {
        @Override
        public String httpHeader() {
            return "bytes=" + offset + "-";
        }
    }

    record Suffix(long length) implements ByteRange {
        @Override
        public String httpHeader() {
            return "bytes=-" + length;
        }
    }
}
