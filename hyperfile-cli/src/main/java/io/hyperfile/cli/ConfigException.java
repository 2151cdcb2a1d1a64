package io.hyperfile.cli;

/**
 * A configuration file that cannot be used: unreadable, bad syntax, an unknown key or a bad value. The message is
 * one line that starts with the file name and, where there is one, the line number ({@code FILE:LINE: key: what});
 * the command prints it after {@code hyperfile: } and exits 2.
 */
final class ConfigException extends RuntimeException {
    ConfigException(String message) {
        super(message);
    }
}
