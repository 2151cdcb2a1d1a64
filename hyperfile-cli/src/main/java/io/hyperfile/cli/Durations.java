package io.hyperfile.cli;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations on the command line: {@code 0}, or one or more number-unit pairs with the units {@code ms}, {@code s},
 * {@code m}, {@code h} and {@code d}: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1h30m}. A bare
 * number other than 0 is refused, since its unit would be a guess.
 */
final class Durations {
    private Durations() {
    }

    /** Parses {@code text}; an {@link IllegalArgumentException} names {@code option} and says what is accepted. */
    static Duration parse(String option, String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Duration total = Duration.ZERO;
        int at = 0;
        try {
            if (s.isEmpty()) {
                throw new NumberFormatException();
            }
            while (at < s.length()) {
                int digits = at;
                while (digits < s.length() && Character.isDigit(s.charAt(digits))) {
                    digits++;
                }
                int unit = digits;
                while (unit < s.length() && Character.isLetter(s.charAt(unit))) {
                    unit++;
                }
                if (digits == at || unit == digits) {
                    throw new NumberFormatException();
                }
                long n = Long.parseLong(s.substring(at, digits));
                Duration part = switch (s.substring(digits, unit)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> throw new NumberFormatException();
                };
                total = total.plus(part);
                at = unit;
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid " + option + " '" + text
                    + "': use 0 or a number with ms, s, m, h or d (e.g. 30s, 10m, 1h)");
        }
        return total;
    }

    /** The shortest of the forms {@link #parse} accepts that says {@code d} exactly, e.g. {@code 1h}, {@code 90s}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            if (ms % sizes[i] == 0) {
                return ms / sizes[i] + units[i];
            }
        }
        throw new AssertionError(ms);
    }
}
