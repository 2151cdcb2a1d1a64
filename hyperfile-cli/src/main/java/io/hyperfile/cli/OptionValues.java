package io.hyperfile.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Turns a configuration-file value into the value of an option, through picocli itself, so that every option gets
 * the conversion it gets on the command line (its type, converter, split regex, map or list shape) without this
 * class knowing the option. The value is parsed by a one-option copy of the option bound to a holder; the real
 * option is untouched: the caller sets it. Stateless.
 *
 * <p>How a file line becomes command-line words:
 * <ul>
 *   <li>a single-valued option: {@code name = v} is {@code --name=v};</li>
 *   <li>a flag (boolean, no parameter): {@code name = true|false};</li>
 *   <li>a repeatable option (list or array): {@code name = a, b} is {@code --name=a --name=b} (items are trimmed,
 *       empty items dropped, so an item cannot contain a comma);</li>
 *   <li>a map option: one line per entry, {@code name.KEY = v} is {@code --name=KEY=v}.</li>
 * </ul>
 * Options whose parameter label is {@code DURATION} or {@code SIZE} (the conventions of this CLI) have their value
 * checked by {@link Durations} or {@link Sizes} as well, so that a bad one is reported with its file line before
 * anything runs.
 */
final class OptionValues {
    private OptionValues() {
    }

    /** Whether {@code option} is a map option, whose keys in the file are {@code name.KEY}. */
    static boolean isMap(OptionSpec option) {
        return option.typeInfo().isMap();
    }

    /**
     * Checks the file line {@code value} for {@code option} ({@code mapKey}: the KEY of {@code name.KEY} for a map
     * option, else null); {@link IllegalArgumentException} with a message for a bad value.
     */
    static void check(OptionSpec option, String mapKey, String value) {
        convert(option, words(option, mapKey, value));
        String label = option.paramLabel();
        if (!option.isMultiValue() && label.equals("DURATION")) {
            Durations.parse("duration", value);
        } else if (!option.isMultiValue() && label.equals("SIZE")) {
            String v = value.trim();
            Setting.parseSizeOrZero(v.endsWith("/s") ? v.substring(0, v.length() - 2) : v);
        }
    }

    /** The value of {@code option} that the command-line words {@code words} (from {@link #words}) give. */
    static Object convert(OptionSpec option, List<String> words) {
        Holder holder = new Holder();
        OptionSpec.Builder copy = option.toBuilder().required(false).defaultValue(null).hasInitialValue(false)
                .initialValue(null);
        copy.getter(holder).setter(holder);
        if (isFlag(option)) {
            copy.arity("1");
        }
        CommandLine one = new CommandLine(CommandSpec.create().addOption(copy.build()));
        one.setCaseInsensitiveEnumValuesAllowed(true);
        try {
            one.parseArgs(words.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            String message = e.getMessage();
            String prefix = "Invalid value for option '" + option.longestName() + "': ";
            throw new IllegalArgumentException(message.startsWith(prefix) ? "invalid value: " + message.substring(prefix.length())
                    : message);
        }
        return holder.value;
    }

    /** The command-line words of the file line {@code value} (see the class comment). */
    static List<String> words(OptionSpec option, String mapKey, String value) {
        String name = option.longestName();
        if (isMap(option)) {
            if (mapKey == null) {
                throw new IllegalArgumentException("a map option: give one line per entry, " + ConfigKeys.keyOf(option)
                        + ".KEY = VALUE");
            }
            return List.of(name + "=" + mapKey + "=" + value);
        }
        if (option.isMultiValue()) {
            // Values that may hold commas themselves (--allow's rules) are separated by the option's own split.
            String separator = option.splitRegex().isEmpty() ? "," : option.splitRegex();
            List<String> words = new ArrayList<>();
            for (String item : value.split(separator)) {
                if (!item.isBlank()) {
                    words.add(name + "=" + item.trim());
                }
            }
            if (words.isEmpty()) {
                throw new IllegalArgumentException("give one value or more, separated by "
                        + (separator.equals(",") ? "commas" : "'" + separator + "'"));
            }
            return words;
        }
        return List.of(name + "=" + (isFlag(option) ? value.trim() : value));
    }

    private static boolean isFlag(OptionSpec option) {
        return option.arity().max() == 0;
    }

    /** Where the one-option parse puts its value. */
    private static final class Holder implements IGetter, ISetter {
        private Object value;

        @Override
        @SuppressWarnings("unchecked")
        public <T> T get() {
            return (T) value;
        }

        @Override
        public <T> T set(T value) {
            Object previous = this.value;
            this.value = value;
            @SuppressWarnings("unchecked")
            T t = (T) previous;
            return t;
        }
    }
}
