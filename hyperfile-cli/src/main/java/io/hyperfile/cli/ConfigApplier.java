package io.hyperfile.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Gives the options of the command about to run the values of the configuration file and of the environment, after
 * picocli has parsed the command line: an option matched on the command line keeps its value; else the file's value
 * is set; else the first environment variable of {@link #ENVIRONMENT} that is set; else the option keeps its
 * built-in default. So the precedence is command line, then file, then environment, then defaults. Then each
 * {@link Configurable} of the command gets the file's values of its settings. Not thread-safe; used once, on the
 * main thread, before the command runs.
 */
final class ConfigApplier {
    /**
     * The environment variables that stand in for options, by key, in the order they are looked up. The AWS ones
     * are those the AWS CLI reads ({@code AWS_REGION} and the credential variables are read by the AWS SDK itself).
     */
    static final Map<String, List<String>> ENVIRONMENT = environment();

    private final ConfigFile file;
    private final Map<String, String> env;
    private final Map<String, String> sources = new HashMap<>();

    ConfigApplier(ConfigFile file, Map<String, String> env) {
        this.file = file;
        this.env = env;
    }

    /** Sets the options and settings of every command of {@code parsed} (the root and the subcommands chosen). */
    void apply(ParseResult parsed) {
        List<ParseResult> chain = new ArrayList<>();
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            chain.add(p);
        }
        Set<String> matched = new HashSet<>();
        for (ParseResult p : chain) {
            for (OptionSpec o : p.matchedOptions()) {
                matched.add(o.longestName());
            }
        }
        for (ParseResult p : chain) {
            CommandSpec spec = p.commandSpec();
            for (OptionSpec o : spec.options()) {
                String key = ConfigKeys.keyOf(o);
                if (key != null && !matched.contains(o.longestName()) && !key.equals(ConfigKeys.CONFIG)) {
                    applyOption(o, key);
                }
            }
            for (Configurable c : ConfigKeys.configurablesOf(spec)) {
                Map<String, String> values = new LinkedHashMap<>();
                for (Setting s : c.settings()) {
                    ConfigFile.Entry e = file.get(s.key());
                    if (e != null) {
                        values.put(s.key(), e.value());
                    }
                }
                c.configure(values);
            }
        }
    }

    /**
     * Where the value of the option {@code --key} came from when it was not the command line: {@code FILE:LINE} or
     * {@code environment variable NAME}; null otherwise.
     */
    String sourceOf(String key) {
        return sources.get(key);
    }

    private void applyOption(OptionSpec o, String key) {
        List<String> words = new ArrayList<>();
        String source = null;
        if (OptionValues.isMap(o)) {
            for (ConfigFile.Entry e : file.entries()) {
                if (e.key().startsWith(key + ".") && e.key().length() > key.length() + 1) {
                    words.addAll(OptionValues.words(o, e.key().substring(key.length() + 1), e.value()));
                    source = source == null ? file.source() + ":" + e.line() : source;
                }
            }
        } else {
            ConfigFile.Entry e = file.get(key);
            if (e != null) {
                words = OptionValues.words(o, null, e.value());
                source = file.source() + ":" + e.line();
            } else {
                for (String variable : ENVIRONMENT.getOrDefault(key, List.of())) {
                    String value = env.get(variable);
                    if (value != null && !value.isBlank()) {
                        words = OptionValues.words(o, null, value);
                        source = "environment variable " + variable;
                        break;
                    }
                }
            }
        }
        if (source == null) {
            return;
        }
        try {
            o.setValue(OptionValues.convert(o, words));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + key + ": " + e.getMessage());
        }
        sources.put(key, source);
    }

    private static Map<String, List<String>> environment() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("store", List.of("HYPERFILE_STORE"));
        m.put("endpoint", List.of("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"));
        m.put("profile", List.of("AWS_PROFILE"));
        return Map.copyOf(m);
    }
}
