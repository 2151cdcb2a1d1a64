package io.hyperfile.nbd.protocol;

/** The error values a reply may carry (the spec's fixed list; numbers are the usual Linux errno values). */
public enum NbdError {
    EPERM(1),
    EIO(5),
    ENOMEM(12),
    EINVAL(22),
    ENOSPC(28),
    EOVERFLOW(75),
    ENOTSUP(95),
    ESHUTDOWN(108);

    private final int code;

    NbdError(int code) {
        this.code = code;
    }

    /** The value sent on the wire. */
    public int code() {
        return code;
    }

    /** The error with this wire value, or null if the spec defines none. */
    public static NbdError ofCode(int code) {
        for (NbdError e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }
}
