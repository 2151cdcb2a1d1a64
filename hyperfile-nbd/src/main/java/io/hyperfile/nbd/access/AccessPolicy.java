package io.hyperfile.nbd.access;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may use which export. Without any rule everyone may use every export ({@link #OPEN}). Once there is a rule, an
 * export is open to the clients that match one of the rules that apply to it, and to no one else:
 * <ul>
 *   <li>rules given without an export name apply to every export;</li>
 *   <li>rules given for {@code NAME} apply to the export {@code NAME} and to {@code NAME@ANYTHING} (the snapshots of
 *       volume {@code NAME}, as {@code hyperfile serve} names them);</li>
 *   <li>an export no rule applies to is open to no one.</li>
 * </ul>
 * Decisions are by name, so a name that is not an export is refused to a client exactly like an export it may not
 * use: the client cannot tell them apart. Immutable and thread-safe.
 */
public final class AccessPolicy {
    /** Everyone may use every export. */
    public static final AccessPolicy OPEN = new AccessPolicy(List.of(), Map.of());

    private final List<AccessRule> everyExport;
    private final Map<String, List<AccessRule>> byExport;

    private AccessPolicy(List<AccessRule> everyExport, Map<String, List<AccessRule>> byExport) {
        this.everyExport = List.copyOf(everyExport);
        this.byExport = Collections.unmodifiableMap(byExport);
    }

    /** The policy of these allow-list entries (none: {@link #OPEN}). */
    public static AccessPolicy of(List<AccessRules.Spec> specs) {
        List<AccessRule> all = new ArrayList<>();
        Map<String, List<AccessRule>> byExport = new LinkedHashMap<>();
        for (AccessRules.Spec spec : specs) {
            if (spec.export() == null) {
                all.addAll(spec.rules());
            } else {
                byExport.computeIfAbsent(spec.export(), k -> new ArrayList<>()).addAll(spec.rules());
            }
        }
        byExport.replaceAll((k, v) -> List.copyOf(v));
        return new AccessPolicy(all, byExport);
    }

    /** Parses each text with {@link AccessRules#parseSpec} and builds the policy. */
    public static AccessPolicy parse(List<String> specs) {
        return of(specs.stream().map(AccessRules::parseSpec).toList());
    }

    /** Whether any rule was given (otherwise everyone may use everything). */
    public boolean isRestricted() {
        return !everyExport.isEmpty() || !byExport.isEmpty();
    }

    /** Whether this client may use (and see in LIST) the export named {@code export}. */
    public boolean allows(String export, Peer peer) {
        if (!isRestricted()) {
            return true;
        }
        for (AccessRule rule : rulesFor(export)) {
            if (rule.matches(peer)) {
                return true;
            }
        }
        return false;
    }

    /** The rules that apply to {@code export} (empty when restricted: no one may use it). */
    public List<AccessRule> rulesFor(String export) {
        List<AccessRule> rules = new ArrayList<>(everyExport);
        rules.addAll(byExport.getOrDefault(export, List.of()));
        int at = export.indexOf('@');
        if (at > 0) {
            rules.addAll(byExport.getOrDefault(export.substring(0, at), List.of()));
        }
        return rules;
    }

    /** The export names rules were given for. */
    public Set<String> namedExports() {
        return byExport.keySet();
    }

    @Override
    public String toString() {
        if (!isRestricted()) {
            return "everyone may use every export";
        }
        List<String> parts = new ArrayList<>();
        if (!everyExport.isEmpty()) {
            parts.add("every export: " + everyExport.stream().map(AccessRule::toString).toList());
        }
        byExport.forEach((name, rules) -> parts.add(name + ": " + rules.stream().map(AccessRule::toString).toList()));
        return String.join("; ", parts);
    }
}
