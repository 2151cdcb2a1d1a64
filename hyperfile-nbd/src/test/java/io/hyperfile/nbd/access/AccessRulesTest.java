package io.hyperfile.nbd.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The allow-rule parser and the address matcher, edge cases included. */
class AccessRulesTest {

    private static Peer at(String literal) throws Exception {
        return Peer.tcp(InetAddress.getByName(literal));
    }

    private static boolean matches(String rule, String address) throws Exception {
        return AccessRules.parse(rule).matches(at(address));
    }

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8, 10.0.0.0, true", "10.0.0.0/8, 10.255.255.255, true", "10.0.0.0/8, 11.0.0.0, false",
        "10.0.0.0/8, 9.255.255.255, false", "192.168.1.7, 192.168.1.7, true", "192.168.1.7, 192.168.1.8, false",
        "192.168.1.7/32, 192.168.1.7, true", "0.0.0.0/0, 203.0.113.9, true", "0.0.0.0/0, ::1, false",
        "172.16.0.0/12, 172.31.255.255, true", "172.16.0.0/12, 172.32.0.0, false", "172.16.0.0/12, 172.15.255.255, false",
        "192.168.4.0/23, 192.168.5.200, true", "192.168.4.0/23, 192.168.6.0, false", "128.0.0.0/1, 127.255.255.255, false",
        "128.0.0.0/1, 128.0.0.0, true",
        "::1, ::1, true", "::1, ::2, false", "::1, 127.0.0.1, false", "::/0, ::1, true", "::/0, 10.0.0.1, false",
        "fd00::/8, fd12:3456::1, true", "fd00::/8, fe80::1, false", "2001:db8::/33, 2001:db8:7fff::1, true",
        "2001:db8::/33, 2001:db8:8000::1, false", "[2001:db8::1], 2001:db8::1, true", "[2001:db8::]/32, 2001:db8:1::, true",
        "2001:db8::1/128, 2001:db8::1, true",
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; the JDK hands them over as IPv4 addresses.
        "10.0.0.0/8, ::ffff:10.1.2.3, true", "::ffff:10.0.0.0/104, 10.9.9.9, true", "::ffff:10.0.0.0/104, 11.0.0.1, false",
    })
    void addressRules(String rule, String address, boolean expected) throws Exception {
        assertEquals(expected, matches(rule, address), rule + " vs " + address);
    }

    @Test
    void mappedIpv6BytesMatchIpv4Rules() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        mapped[12] = 10;
        mapped[15] = 7;
        // Inet6Address.getByAddress keeps the 16 bytes (unlike getByName), as a socket might hand them over.
        Peer p = Peer.tcp(java.net.Inet6Address.getByAddress(null, mapped, -1));
        assertTrue(AccessRules.parse("10.0.0.0/8").matches(p));
        assertFalse(AccessRules.parse("::/1").matches(p), "an IPv4 client is not matched by IPv6 networks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "0.0.0.0/0", "::/0", "cn:client1", "any", "unix",
        "subject:CN=client1,O=Example"})
    void canonicalTextRoundTrips(String text) {
        assertEquals(text, AccessRules.parse(text).toString());
        assertEquals(AccessRules.parse(text), AccessRules.parse(AccessRules.parse(text).toString()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''| a rule is empty",
        "10.0.0.1/8| has bits set past its prefix; did you mean 10.0.0.0/8?",
        "10.0.0.0/33| prefix length of '10.0.0.0/33' must be a number in 0..32",
        "fd00::/129| must be a number in 0..128",
        "10.0.0.0/-1| must be a number in 0..32",
        "10.0.0.0/| must be a number in 0..32",
        "10.0.0.0/8x| must be a number in 0..32",
        "256.0.0.1| is not a rule",
        "10.0.0| is not a rule",
        "01.2.3.4| is not a rule",
        "localhost| host names are not accepted",
        "fe80::1%eth0| is not a rule",
        "1:2:3:4:5:6:7:8:9| is not an IP address",
        "cn:| cn: needs a common name",
        "subject:| is not a distinguished name",
        "subject:not a dn| is not a distinguished name",
        "::ffff:10.0.0.0/8| prefix must be at least 96",
        "ip:10.0.0.1| is not a rule",
    })
    void badRulesGiveOneLine(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessRules.parseSpec(text));
        assertTrue(e.getMessage().startsWith("invalid allow rule '" + text + "': "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void specsNameAnExportOrNot() {
        AccessRules.Spec all = AccessRules.parseSpec("10.0.0.0/8, ::1,cn:c1");
        assertNull(all.export());
        assertEquals(List.of("10.0.0.0/8", "::1", "cn:c1"), all.rules().stream().map(Object::toString).toList());
        AccessRules.Spec one = AccessRules.parseSpec("disk0=127.0.0.1,subject:CN=x, O=y");
        assertEquals("disk0", one.export());
        assertEquals(List.of("127.0.0.1", "subject:CN=x,O=y"), one.rules().stream().map(Object::toString).toList());
        // '=' inside a subject is not an export name: the text before it has a ':'.
        AccessRules.Spec subject = AccessRules.parseSpec("subject:CN=x,O=y");
        assertNull(subject.export());
        assertEquals("subject:CN=x,O=y", subject.rules().get(0).toString());
        assertEquals("vol@snap", AccessRules.parseSpec("vol@snap=any").export());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AccessRules.parseSpec("=any"));
        assertTrue(e.getMessage().contains("export name before '=' is empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AccessRules.parseSpec("disk0="));
        assertThrows(IllegalArgumentException.class, () -> AccessRules.parseSpec("10.0.0.0/8,,::1"));
    }

    @Test
    void anyAndUnixRules() throws Exception {
        Peer unix = new Peer(null, true, null);
        assertTrue(AccessRules.parse("ANY").matches(unix));
        assertTrue(AccessRules.parse("any").matches(at("203.0.113.1")));
        assertTrue(AccessRules.parse("unix").matches(unix));
        assertFalse(AccessRules.parse("unix").matches(at("127.0.0.1")));
        assertFalse(AccessRules.parse("0.0.0.0/0").matches(unix), "address rules never match the Unix socket");
        assertFalse(AccessRules.parse("::/0").matches(unix));
        assertFalse(AccessRules.parse("cn:client1").matches(at("127.0.0.1")), "without TLS, certificate rules never match");
    }
}
