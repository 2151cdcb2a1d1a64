package io.hyperfile.core.store;

import java.util.Comparator;

/**
 * Rules for object keys, shared by every store so that a key valid on one is valid on all.
 *
 * <p>A key is 1 to {@value #MAX_KEY_BYTES} bytes of UTF-8; it has no control characters, no unpaired surrogates,
 * no leading or trailing {@code /}, no empty path segment ({@code //}), and no {@code .} or {@code ..} segment.
 * Any other character, including spaces, {@code %+?#&=*:} and non-ASCII text, is allowed.
 *
 * <p>Listings are ordered like S3's: by the keys' UTF-8 bytes, compared unsigned ({@link #ORDER}).
 */
public final class ObjectKeys {
    public static final int MAX_KEY_BYTES = 1024;

    /** Orders keys by their UTF-8 bytes (S3's listing order). Differs from {@link String#compareTo} above U+FFFF. */
    public static final Comparator<String> ORDER = ObjectKeys::compareUtf8;

    private ObjectKeys() {
    }

    /** Throws {@link IllegalArgumentException} naming the problem if {@code key} is not a valid key. */
    public static String validate(String key) {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
        // One pass (keys are checked on every request): characters, UTF-8 length, and '/'-separated segments.
        int bytes = 0;
        int segmentStart = 0;
        int n = key.length();
        for (int i = 0; i <= n; i++) {
            if (i == n || key.charAt(i) == '/') {
                checkSegment(key, segmentStart, i);
                bytes++;
                segmentStart = i + 1;
                continue;
            }
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("key must not contain control characters. key=" + printable(key));
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(key.charAt(i + 1))) {
                    throw new IllegalArgumentException("key has an unpaired surrogate. key=" + printable(key));
                }
                bytes += 4;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                throw new IllegalArgumentException("key has an unpaired surrogate. key=" + printable(key));
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        bytes--; // no separator after the last segment
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is longer than " + MAX_KEY_BYTES + " UTF-8 bytes. bytes=" + bytes);
        }
        return key;
    }

    private static void checkSegment(String key, int from, int to) {
        if (to == from) {
            if (from == 0 || to == key.length()) {
                throw new IllegalArgumentException("key must not start or end with '/'. key=" + key);
            }
            throw new IllegalArgumentException("key must not contain an empty segment ('//'). key=" + key);
        }
        if (key.charAt(from) == '.' && (to - from == 1 || (to - from == 2 && key.charAt(from + 1) == '.'))) {
            throw new IllegalArgumentException("key must not contain a '.' or '..' segment. key=" + key);
        }
    }

    /** Checks a listing prefix: empty, or a key prefix (it may end with '/'). */
    public static String validatePrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix must not be null (use \"\" for all keys)");
        }
        if (prefix.isEmpty()) {
            return prefix;
        }
        String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        if (body.isEmpty()) {
            throw new IllegalArgumentException("prefix must not be '/'");
        }
        validate(body);
        return prefix;
    }

    /** Unsigned comparison of the UTF-8 encodings, without encoding. */
    public static int compareUtf8(String a, String b) {
        int i = 0;
        int n = Math.min(a.length(), b.length());
        while (i < n) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                // UTF-8 order equals code point order. UTF-16 order differs only when one side is a surrogate
                // (a code point above U+FFFF) and the other is in U+E000..U+FFFF.
                if (Character.isSurrogate(ca) != Character.isSurrogate(cb)) {
                    return Character.isSurrogate(ca) ? 1 : -1;
                }
                return ca - cb;
            }
            i++;
        }
        return a.length() - b.length();
    }

    private static String printable(String key) {
        StringBuilder sb = new StringBuilder();
        for (char c : key.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
