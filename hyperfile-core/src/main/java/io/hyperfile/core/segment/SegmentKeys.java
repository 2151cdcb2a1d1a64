package io.hyperfile.core.segment;

/**
 * Names of a volume's objects under its prefix {@code P/}: the descriptor {@code P/volume}, the segments
 * {@code P/seg/<seq>} with the sequence number zero-padded to 20 digits (so lexical order is numeric order), and
 * the open hint {@code P/head}, the serving lease {@code P/lease} (docs/SERVING.md) and a pending online grow
 * {@code P/resize} (docs/RESIZE.md).
 */
public final class SegmentKeys {
    private static final String SEG = "seg/";

    private SegmentKeys() {
    }

    /** A volume prefix: empty (the whole store) or ending in '/'. */
    public static String normalizePrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "";
        }
        return prefix.endsWith("/") ? prefix : prefix + "/";
    }

    public static String descriptor(String prefix) {
        return prefix + "volume";
    }

    public static String hint(String prefix) {
        return prefix + "head";
    }

    /** The advisory lease of the server that serves the volume for writing, if any. */
    public static String lease(String prefix) {
        return prefix + "lease";
    }

    /** A request to the server holding the volume to grow it (docs/RESIZE.md), if any. */
    public static String resizeRequest(String prefix) {
        return prefix + "resize";
    }

    public static String segmentPrefix(String prefix) {
        return prefix + SEG;
    }

    public static String segment(String prefix, long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("segment seq must be positive. seq=" + seq);
        }
        String digits = Long.toString(seq);
        StringBuilder b = new StringBuilder(prefix.length() + SEG.length() + 20).append(prefix).append(SEG);
        for (int i = digits.length(); i < 20; i++) {
            b.append('0');
        }
        return b.append(digits).toString();
    }

    /** The seq a segment key names, or -1 if {@code key} is not a segment key under {@code prefix}. */
    public static long parseSegment(String prefix, String key) {
        String head = prefix + SEG;
        if (!key.startsWith(head) || key.length() != head.length() + 20) {
            return -1;
        }
        long seq = 0;
        for (int i = head.length(); i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            seq = seq * 10 + (c - '0');
        }
        return seq;
    }
}
