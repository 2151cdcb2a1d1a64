package io.hyperfile.cli;

import java.util.Locale;

/** Sizes on the command line: plain bytes or a number with K, M, G, T, P (binary: 1K = 1024), optional "iB"/"B". */
final class Sizes {
    private Sizes() {
    }

    static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                case 'P' -> shift = 50;
                default -> shift = -1;
            }
            if (shift >= 0) {
                s = s.substring(0, s.length() - 1);
            } else {
                shift = 0;
            }
        }
        long value;
        try {
            value = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text + "': use bytes or a number with K, M, G, T (e.g. 10G)");
        }
        if (value <= 0 || value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("invalid size '" + text + "': must be positive and below 8 EiB");
        }
        return value << shift;
    }

    /** {@link #parse} with an error that names {@code option}. */
    static long parse(String option, String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid " + option + " '" + text
                    + "': use bytes or a number with K, M, G, T (e.g. 256M)");
        }
    }

    /**
     * A rate in bytes per second: {@code 0} (no limit) or a size, optionally followed by {@code /s} ({@code 32M},
     * {@code 32M/s}); an error names {@code option}.
     */
    static long parseRate(String option, String text) {
        String s = text.trim();
        if (s.toLowerCase(Locale.ROOT).endsWith("/s")) {
            s = s.substring(0, s.length() - 2);
        }
        if (s.equals("0")) {
            return 0;
        }
        try {
            return parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid " + option + " '" + text
                    + "': use 0 (no limit) or bytes per second, e.g. 32M or 32M/s");
        }
    }

    static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f %s", v, units[u])
                : String.format(Locale.ROOT, "%.1f %s", v, units[u]));
    }
}
