package io.hyperfile.core.encoding;

import java.util.Locale;

/** How a volume's segments are encrypted (docs/ENCRYPTION.md), with the code its descriptor stores. */
public enum Encryption {
    /** Stored as written. */
    NONE(0, "none"),
    /**
     * AES-256-GCM in 4 KiB chunks under a per-object key derived from the volume's data key
     * ({@code core.crypto.ObjectEnvelope}).
     */
    AES_256_GCM(1, "aes-256-gcm");

    private final int code;
    private final String label;

    Encryption(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The code stored in the descriptor. */
    public int code() {
        return code;
    }

    public String label() {
        return label;
    }

    /** The cipher stored as {@code code}; {@link IllegalArgumentException} for an unknown one. */
    public static Encryption fromCode(int code) {
        for (Encryption e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown encryption code " + code);
    }

    /** The cipher named {@code label} (case-insensitive); {@link IllegalArgumentException} listing the names otherwise. */
    public static Encryption fromLabel(String label) {
        for (Encryption e : values()) {
            if (e.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown encryption '" + label + "': use none or aes-256-gcm");
    }
}
