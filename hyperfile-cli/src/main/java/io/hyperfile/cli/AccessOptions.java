package io.hyperfile.cli;

import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.nbd.access.AccessConfig;
import io.hyperfile.nbd.access.AccessPolicy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * Who may use what {@code serve} serves, and how (docs/ACCESS.md): {@code --allow}, {@code --max-connections},
 * {@code --max-connections-per-export}, {@code --read-only}, {@code --read-only-export}, {@code --default-export} and
 * {@code --socket}. Each bad value is an {@link IllegalArgumentException} with one line (exit 2).
 */
final class AccessOptions {
    @Option(names = "--allow", paramLabel = "[EXPORT=]RULE[,RULE...]", split = ";",
            description = "Allow clients matching a rule to use EXPORT (without EXPORT=: every export). RULE: any, unix,"
                    + " an address or network (10.0.0.0/8, ::1), cn:NAME or subject:DN (TLS client certificates; subject:"
                    + " takes the rest of the value). Repeatable, or several separated by ';'. Once given, exports no rule applies to are open to no one."
                    + " Default: everyone may use every export.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "0",
            description = "Connections the server keeps open at most; more are closed at once. 0: no limit (default).")
    int maxConnections;

    @Option(names = "--max-connections-per-export", paramLabel = "[EXPORT=]N",
            description = "Connections one export serves at most (without EXPORT=: each export); one more is refused with"
                    + " ERR_POLICY. Repeatable. Multi-connection clients (nbdcopy: 4) need that many. 0: no limit (default).")
    List<String> perExport = new ArrayList<>();

    @Option(names = "--read-only", description = "Serve every volume read-only, opened without claiming it (a writer"
            + " elsewhere is never fenced); clients see a view of the newest checkpoint at start.")
    boolean readOnly;

    @Option(names = "--read-only-export", paramLabel = "VOLUME",
            description = "Serve this volume read-only, like --read-only does every volume. Repeatable.")
    List<String> readOnlyVolumes = new ArrayList<>();

    @Option(names = "--default-export", paramLabel = "NAME",
            description = "The export an empty export name selects (nbd://HOST:PORT). Default: the volume, when one is served.")
    String defaultExport;

    @Option(names = "--socket", paramLabel = "PATH",
            description = "Listen on this Unix-domain socket (nbd+unix:///NAME?socket=PATH): instead of TCP, or beside it when"
                    + " --listen is given too. A stale socket file is removed at start; the file is deleted at exit.")
    Path socket;

    /** Checks the option values that need no store (names, rules, numbers); throws one line on the first bad one. */
    void validate() {
        config(List.of());
        readOnlyVolumes.forEach(v -> checkName("--read-only-export", v));
    }

    /**
     * The access settings for serving {@code volumes} (the volume names, for the default export: the volume when there
     * is exactly one and no {@code --default-export}).
     */
    AccessConfig config(List<String> volumes) {
        AccessPolicy policy;
        try {
            policy = AccessPolicy.parse(allow);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--allow: " + e.getMessage(), e);
        }
        policy.namedExports().forEach(n -> checkExportName("--allow", n));
        if (maxConnections < 0) {
            throw new IllegalArgumentException("invalid --max-connections " + maxConnections + ": use 0 (no limit) or more");
        }
        int everyExport = 0;
        Map<String, Integer> byExport = new HashMap<>();
        for (String spec : perExport) {
            int eq = spec.indexOf('=');
            String name = eq < 0 ? null : spec.substring(0, eq).trim();
            int n = connections(spec, spec.substring(eq + 1).trim());
            if (name == null) {
                everyExport = n;
            } else {
                checkExportName("--max-connections-per-export", name);
                byExport.put(name, n);
            }
        }
        if (defaultExport != null) {
            checkExportName("--default-export", defaultExport);
        }
        String defaultName = defaultExport != null ? defaultExport : volumes.size() == 1 ? volumes.get(0) : null;
        return new AccessConfig(policy, maxConnections, everyExport, byExport, defaultName);
    }

    private static int connections(String spec, String n) {
        try {
            int v = Integer.parseInt(n);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid --max-connections-per-export '" + spec + "': use N or EXPORT=N with N"
                + " 0 (no limit) or more");
    }

    /** Whether volume {@code name} is served read-only. */
    boolean isReadOnly(String name) {
        return readOnly || readOnlyVolumes.contains(name);
    }

    /**
     * Export names the options mention that {@code served} (volume names) does not have: a typo, or a volume that is
     * not served. A name {@code VOLUME@SNAPSHOT} counts as its volume.
     */
    List<String> unknownNames(List<String> served, AccessConfig config) {
        Set<String> named = new LinkedHashSet<>(config.policy().namedExports());
        named.addAll(config.maxConnectionsByExport().keySet());
        named.addAll(readOnlyVolumes);
        if (defaultExport != null) {
            named.add(defaultExport);
        }
        return named.stream().filter(n -> !served.contains(n.contains("@") ? n.substring(0, n.indexOf('@')) : n)).toList();
    }

    private static void checkExportName(String option, String name) {
        int at = name.indexOf('@');
        checkName(option, at < 0 ? name : name.substring(0, at));
        if (at >= 0) {
            checkName(option, name.substring(at + 1));
        }
    }

    private static void checkName(String option, String name) {
        try {
            VolumeCatalog.checkName(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
        }
    }
}
