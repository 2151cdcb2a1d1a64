package io.hyperfile.core;

/**
 * Bytes read back from the store are not what was written: a checksum mismatch, a bad magic number, a structure
 * that contradicts itself. Always names the object key and byte offset, and says what was expected and found.
 * Never retried; a volume that meets one stops writing (it may still be read elsewhere) until an operator checks it.
 */
public class CorruptionException extends HyperfileException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final long offset;

    public CorruptionException(String key, long offset, String what) {
        super("corrupt data in " + key + " at offset " + offset + ": " + what);
        this.key = key;
        this.offset = offset;
    }

    public CorruptionException(String key, long offset, String what, Throwable cause) {
        super("corrupt data in " + key + " at offset " + offset + ": " + what, cause);
        this.key = key;
        this.offset = offset;
    }

    /** A stored checksum that does not match the bytes it covers. */
    public static CorruptionException checksum(String key, long offset, String what, int stored, int computed) {
        return new CorruptionException(key, offset, String.format("%s checksum mismatch: stored %08x, computed %08x",
                what, stored, computed));
    }

    /** The object the bad bytes came from. */
    public String key() {
        return key;
    }

    /** Byte offset of the bad bytes within the object. */
    public long offset() {
        return offset;
    }
}
