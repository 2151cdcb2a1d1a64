package io.hyperfile.core.store.local;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Maps one key segment (the text between slashes) to a file name and back. {@code [A-Za-z0-9._-]} stay as they
 * are, except a leading {@code .}; every other byte of the segment's UTF-8 form becomes {@code %XX} (upper-case
 * hex). The result is plain ASCII, so it works whatever the JVM's file-name encoding, and never starts with
 * {@code .}, which is reserved for temporary files.
 */
final class LocalKeyCodec {
    /** Longest file name most Linux file systems accept. */
    static final int MAX_NAME_BYTES = 255;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private LocalKeyCodec() {
    }

    static String encode(String segment) {
        byte[] utf8 = segment.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(utf8.length + 8);
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || b == '-' || b == '_' || (b == '.' && i > 0);
            if (plain) {
                sb.append((char) b);
            } else {
                sb.append('%').append(HEX[b >> 4]).append(HEX[b & 0xf]);
            }
        }
        if (sb.length() > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("key segment is too long for a local directory store (" + sb.length()
                    + " bytes once escaped, limit " + MAX_NAME_BYTES + "): " + segment);
        }
        return sb.toString();
    }

    /** The segment a file name encodes, or null if the name is not one this codec produces (e.g. a temp file). */
    static String decode(String name) {
        if (name.isEmpty() || name.charAt(0) == '.') {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                if (i + 2 >= name.length()) {
                    return null;
                }
                int hi = Character.digit(name.charAt(i + 1), 16);
                int lo = Character.digit(name.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                return null;
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
