package io.hyperfile.cli;

import java.util.function.Consumer;

/**
 * A configuration-file key that is not a command-line option, such as {@code volume.dirty-limit} or
 * {@code s3.max-concurrency}: its name, its default as the example file writes it, and a check of its value that
 * throws {@link IllegalArgumentException} with a message starting {@code invalid ...}. Declared by a
 * {@link Configurable} command or mixin. Immutable.
 */
record Setting(String key, String defaultText, Consumer<String> check) {
    /** A positive size in bytes with an optional K, M, G, T suffix ({@link Sizes}), e.g. {@code 64M}. */
    static Setting size(String key, String defaultText) {
        return new Setting(key, defaultText, Sizes::parse);
    }

    /** {@code 0} or a size ({@link #size}). */
    static Setting sizeOrZero(String key, String defaultText) {
        return new Setting(key, defaultText, Setting::checkSizeOrZero);
    }

    /** A duration such as {@code 3s} or {@code 500ms} ({@link Durations}). */
    static Setting duration(String key, String defaultText) {
        return new Setting(key, defaultText, v -> Durations.parse("duration", v));
    }

    /** A duration above zero. */
    static Setting positiveDuration(String key, String defaultText) {
        return new Setting(key, defaultText, v -> {
            if (Durations.parse("duration", v).isZero()) {
                throw new IllegalArgumentException("invalid duration '" + v + "': must be above zero");
            }
        });
    }

    /** A whole number, at least 1. */
    static Setting count(String key, int defaultValue) {
        return new Setting(key, Integer.toString(defaultValue), v -> {
            try {
                if (Integer.parseInt(v.trim()) >= 1) {
                    return;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("invalid number '" + v + "': use a whole number of at least 1");
        });
    }

    /** Parses {@code 0} or a size. */
    static long parseSizeOrZero(String value) {
        return value.trim().equals("0") ? 0 : Sizes.parse(value);
    }

    private static void checkSizeOrZero(String value) {
        parseSizeOrZero(value);
    }

    /** Checks {@code value}; an {@link IllegalArgumentException} says what is wrong with it. */
    void validate(String value) {
        check.accept(value);
    }
}
