package io.hyperfile.nbd.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which rules apply to which export, and the connection counters. */
class AccessPolicyTest {
    private static Peer at(String literal) throws Exception {
        return Peer.tcp(InetAddress.getByName(literal));
    }

    @Test
    void noRulesLetEveryoneUseEverything() throws Exception {
        assertFalse(AccessPolicy.OPEN.isRestricted());
        assertTrue(AccessPolicy.OPEN.allows("anything", at("203.0.113.1")));
        assertTrue(AccessPolicy.parse(List.of()).allows("disk0", new Peer(null, true, null)));
    }

    @Test
    void globalAndPerExportRulesAddUpAndOtherExportsAreClosed() throws Exception {
        AccessPolicy p = AccessPolicy.parse(List.of("10.0.0.0/8", "disk0=192.168.1.0/24", "disk1=::1"));
        assertTrue(p.allows("disk0", at("10.1.1.1")), "global rule");
        assertTrue(p.allows("disk0", at("192.168.1.9")));
        assertFalse(p.allows("disk1", at("192.168.1.9")), "a rule for disk0 is not for disk1");
        assertTrue(p.allows("disk1", at("::1")));
        assertTrue(p.allows("other", at("10.1.1.1")));
        assertFalse(p.allows("other", at("192.168.1.9")));
        assertFalse(AccessPolicy.parse(List.of("disk0=any")).allows("disk1", at("127.0.0.1")),
                "once there are rules, an export without any is open to no one");
    }

    @Test
    void snapshotsTakeTheRulesOfTheirVolume() throws Exception {
        AccessPolicy p = AccessPolicy.parse(List.of("vol=127.0.0.1", "vol@s2=10.0.0.1"));
        assertTrue(p.allows("vol@s1", at("127.0.0.1")));
        assertTrue(p.allows("vol@s2", at("10.0.0.1")));
        assertTrue(p.allows("vol@s2", at("127.0.0.1")));
        assertFalse(p.allows("vol", at("10.0.0.1")));
        assertFalse(p.allows("volume2", at("127.0.0.1")));
    }

    @Test
    void limitsOfExportsAndSnapshots() {
        AccessConfig c = AccessConfig.OPEN.withLimits(10, 4, Map.of("big", 16, "vol", 1));
        assertEquals(16, c.maxConnectionsOf("big"));
        assertEquals(4, c.maxConnectionsOf("other"));
        assertEquals(1, c.maxConnectionsOf("vol@snap"));
        assertThrows(IllegalArgumentException.class, () -> AccessConfig.OPEN.withLimits(-1, 0, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> AccessConfig.OPEN.withLimits(0, 0, Map.of("x", -2)));
    }

    @Test
    void connectionCountersGiveSlotsBackWhenChannelsClose() {
        ConnectionLimits limits = new ConnectionLimits(AccessConfig.OPEN.withLimits(2, 1, Map.of()));
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        EmbeddedChannel c = new EmbeddedChannel();
        assertTrue(limits.tryOpen(a));
        assertTrue(limits.tryOpen(b));
        assertFalse(limits.tryOpen(c), "third connection over the server limit of 2");
        assertEquals(2, limits.connections());
        assertTrue(limits.tryAdmit(a, "disk"));
        assertFalse(limits.tryAdmit(b, "disk"), "second connection over the export limit of 1");
        assertTrue(limits.tryAdmit(b, "other"));
        a.close();
        assertEquals(1, limits.connections());
        assertEquals(0, limits.connections("disk"));
        assertTrue(limits.tryOpen(c));
        assertTrue(limits.tryAdmit(c, "disk"));
        b.close();
        c.close();
        assertEquals(0, limits.connections());
    }
}
