package io.hyperfile.cli;

import java.util.List;
import java.util.Map;

/**
 * A command or mixin that takes configuration-file keys that are not options (its {@link #settings()}). Options
 * need nothing of this: every long option is a key by itself (see {@link ConfigKeys}). Called on the thread that
 * runs the command, once, before it runs.
 */
interface Configurable {
    /** The keys it takes, each with its check; {@link ConfigKeys} rejects a bad value before anything runs. */
    List<Setting> settings();

    /** Checks that span several keys of {@code file}; a {@link ConfigException} names the file and line. */
    default void check(ConfigFile file) {
    }

    /** The values the file gives for {@link #settings()} (keys it does not set are absent); all passed their check. */
    void configure(Map<String, String> values);
}
