package io.hyperfile.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A configuration file ({@code --config FILE}) in the syntax of Java properties files, read with the line number of
 * every key so that errors can point at it. Immutable.
 *
 * <p>The syntax is that of {@link java.util.Properties#load(java.io.Reader)}: a key, then {@code =}, {@code :} or
 * white space, then the value (leading white space dropped); lines starting with {@code #} or {@code !} are
 * comments; a line ending in an odd number of backslashes continues on the next (whose leading white space is
 * dropped); the escapes {@code \t \n \r \f \\}, backslash-u with four hex digits, and a backslash before any
 * other character standing for that character ({@code \=}, {@code \:}, {@code \ }, {@code \#}). Unlike
 * {@code Properties}, a key given twice is an error, trailing blanks of a value are dropped (write {@code \ } to
 * keep one), and the file must be UTF-8 (not ISO 8859-1).
 */
final class ConfigFile {
    /** One {@code key = value} of the file; {@code line} is where it starts (1-based). */
    record Entry(String key, String value, int line) {
    }

    /** No file: no entries. */
    static final ConfigFile NONE = new ConfigFile("(none)", Map.of());

    private final String source;
    private final Map<String, Entry> entries;

    private ConfigFile(String source, Map<String, Entry> entries) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** Reads {@code file}; a {@link ConfigException} says why it cannot be read or where its syntax is wrong. */
    static ConfigFile read(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text);
    }

    /** Parses {@code text}; {@code source} (the file name) starts every error message. */
    static ConfigFile parse(String source, String text) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> lines = naturalLines(text);
        int i = 0;
        while (i < lines.size()) {
            int first = i;
            String line = stripLeading(lines.get(i++));
            if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == '!') {
                continue;
            }
            StringBuilder logical = new StringBuilder();
            while (endsWithOddBackslashes(line)) {
                logical.append(line, 0, line.length() - 1);
                if (i == lines.size()) {
                    line = "";
                    break;
                }
                line = stripLeading(lines.get(i++));
            }
            logical.append(line);
            Entry e = entry(source, logical.toString(), first + 1);
            Entry earlier = entries.putIfAbsent(e.key(), e);
            if (earlier != null) {
                throw new ConfigException(source + ":" + e.line() + ": " + e.key() + ": already set on line " + earlier.line());
            }
        }
        return new ConfigFile(source, entries);
    }

    /** The file name, for messages. */
    String source() {
        return source;
    }

    /** Every entry, in file order. */
    Iterable<Entry> entries() {
        return entries.values();
    }

    /** The entry for {@code key}, or null. */
    Entry get(String key) {
        return entries.get(key);
    }

    /** {@code FILE:LINE: message} for a message about {@code entry}. */
    String at(Entry entry, String message) {
        return source + ":" + entry.line() + ": " + message;
    }

    private static Entry entry(String source, String logical, int line) {
        int at = 0;
        StringBuilder key = new StringBuilder();
        while (at < logical.length()) {
            char c = logical.charAt(at);
            if (c == '=' || c == ':' || isWhite(c)) {
                break;
            }
            at = c == '\\' ? unescape(source, line, logical, at, key) : at + 1;
            if (c != '\\') {
                key.append(c);
            }
        }
        while (at < logical.length() && isWhite(logical.charAt(at))) {
            at++;
        }
        if (at < logical.length() && (logical.charAt(at) == '=' || logical.charAt(at) == ':')) {
            at++;
        }
        while (at < logical.length() && isWhite(logical.charAt(at))) {
            at++;
        }
        StringBuilder value = new StringBuilder();
        int kept = 0; // trailing blanks are dropped, unless escaped
        while (at < logical.length()) {
            char c = logical.charAt(at);
            if (c == '\\') {
                at = unescape(source, line, logical, at, value);
                kept = value.length();
            } else {
                value.append(c);
                at++;
                kept = isWhite(c) ? kept : value.length();
            }
        }
        value.setLength(kept);
        return new Entry(key.toString(), value.toString(), line);
    }

    /** Appends the character the escape at {@code at} stands for to {@code to}; returns the index after it. */
    private static int unescape(String source, int line, String s, int at, StringBuilder to) {
        if (at + 1 >= s.length()) {
            return at + 1; // a lone backslash at the very end of the file: dropped, as Properties does
        }
        char c = s.charAt(at + 1);
        switch (c) {
            case 't' -> to.append('\t');
            case 'n' -> to.append('\n');
            case 'r' -> to.append('\r');
            case 'f' -> to.append('\f');
            case 'u' -> {
                if (at + 6 > s.length()) {
                    throw new ConfigException(source + ":" + line + ": malformed \\uXXXX escape");
                }
                try {
                    to.append((char) Integer.parseInt(s.substring(at + 2, at + 6), 16));
                } catch (NumberFormatException e) {
                    throw new ConfigException(source + ":" + line + ": malformed \\uXXXX escape '" + s.substring(at, at + 6) + "'");
                }
                return at + 6;
            }
            default -> to.append(c);
        }
        return at + 2;
    }

    private static List<String> naturalLines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r') {
                lines.add(text.substring(start, i));
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }

    private static boolean endsWithOddBackslashes(String line) {
        int n = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            n++;
        }
        return n % 2 == 1;
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && isWhite(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static boolean isWhite(char c) {
        return c == ' ' || c == '\t' || c == '\f';
    }
}
