package io.hyperfile.nbd.access;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/**
 * Parses allow-list text (docs/ACCESS.md):
 * <pre>
 *   spec  = [EXPORT "="] rules         EXPORT: an export name without ':' ',' '='
 *   rules = rule ["," rule]...         a subject: rule takes the rest of the text, commas included
 *   rule  = "any" | "unix" | ADDRESS ["/" PREFIX] | "cn:" NAME | "subject:" DN
 * </pre>
 * ADDRESS is an IPv4 or IPv6 literal (never a host name: nothing is looked up), optionally in brackets; PREFIX is
 * 0..32 or 0..128 and the address must have no bits set past it. Every error is an {@link IllegalArgumentException}
 * with one line that quotes the text and says what is expected.
 */
public final class AccessRules {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,3}");
    private static final String EXAMPLES = "use any, unix, an address or network (10.0.0.0/8, 192.168.1.7, fd00::/8, ::1),"
            + " cn:NAME or subject:DN";

    private AccessRules() {
    }

    /** An allow-list entry: the export it is for (null: every export) and its rules (at least one). */
    public record Spec(String export, List<AccessRule> rules) {
        public Spec {
            rules = List.copyOf(rules);
        }
    }

    /** Parses {@code [EXPORT=]RULE[,RULE...]}. */
    public static Spec parseSpec(String text) {
        String s = text.trim();
        int eq = s.indexOf('=');
        if (eq >= 0) {
            String head = s.substring(0, eq);
            if (head.indexOf(':') < 0 && head.indexOf(',') < 0) {
                String export = head.trim();
                if (export.isEmpty()) {
                    throw new IllegalArgumentException("invalid allow rule '" + text + "': the export name before '=' is empty");
                }
                return new Spec(export, parseList(s.substring(eq + 1), text));
            }
        }
        return new Spec(null, parseList(s, text));
    }

    /** Parses {@code RULE[,RULE...]}; a {@code subject:} rule takes the rest of the text. */
    public static List<AccessRule> parseList(String text) {
        return parseList(text, text);
    }

    private static List<AccessRule> parseList(String text, String whole) {
        List<AccessRule> rules = new ArrayList<>();
        String rest = text;
        while (true) {
            String trimmed = rest.stripLeading();
            int comma = trimmed.indexOf(',');
            if (trimmed.toLowerCase(Locale.ROOT).startsWith("subject:") || comma < 0) {
                rules.add(parse(trimmed, whole));
                return rules;
            }
            rules.add(parse(trimmed.substring(0, comma), whole));
            rest = trimmed.substring(comma + 1);
        }
    }

    /** Parses one rule. */
    public static AccessRule parse(String text) {
        return parse(text, text);
    }

    private static AccessRule parse(String text, String whole) {
        String s = text.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw error(whole, "a rule is empty; " + EXAMPLES);
        }
        if (lower.equals("any")) {
            return new AccessRule.Any();
        }
        if (lower.equals("unix")) {
            return new AccessRule.UnixSocket();
        }
        if (lower.startsWith("cn:")) {
            String cn = s.substring(3).trim();
            if (cn.isEmpty()) {
                throw error(whole, "cn: needs a common name, e.g. cn:client1");
            }
            return new AccessRule.CommonName(cn);
        }
        if (lower.startsWith("subject:")) {
            String dn = s.substring(8).trim();
            try {
                if (dn.isEmpty()) {
                    throw new IllegalArgumentException("empty");
                }
                return new AccessRule.Subject(new X500Principal(dn));
            } catch (IllegalArgumentException e) {
                throw error(whole, "'" + dn + "' is not a distinguished name; use e.g. subject:CN=client1,O=Example");
            }
        }
        return network(s, whole);
    }

    private static AccessRule network(String s, String whole) {
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        boolean v6 = host.indexOf(':') >= 0;
        if (!(v6 ? IPV6.matcher(host).matches() : IPV4.matcher(host).matches())) {
            throw error(whole, "'" + s + "' is not a rule; " + EXAMPLES + " (host names are not accepted)");
        }
        byte[] address;
        try {
            address = InetAddress.getByName(host).getAddress(); // a literal: nothing is looked up
        } catch (UnknownHostException e) {
            throw error(whole, "'" + host + "' is not an IP address");
        }
        int textBits = v6 ? 128 : 32;
        int prefix = textBits;
        if (slash >= 0) {
            String p = s.substring(slash + 1).trim();
            if (!DIGITS.matcher(p).matches() || Integer.parseInt(p) > textBits) {
                throw error(whole, "the prefix length of '" + s + "' must be a number in 0.." + textBits);
            }
            prefix = Integer.parseInt(p);
        }
        if (address.length == 4 && v6) { // ::ffff:a.b.c.d, which the JDK turns into an IPv4 address
            if (prefix < 96) {
                throw error(whole, "'" + s + "' is an IPv4-mapped network; its prefix must be at least 96 (or write it as IPv4)");
            }
            prefix -= 96;
        }
        AccessRule.Network rule = new AccessRule.Network(address, prefix);
        if (!Arrays.equals(rule.network(), address)) {
            throw error(whole, "'" + s + "' has bits set past its prefix; did you mean " + rule + "?");
        }
        return rule;
    }

    private static IllegalArgumentException error(String whole, String what) {
        return new IllegalArgumentException("invalid allow rule '" + whole + "': " + what);
    }
}
