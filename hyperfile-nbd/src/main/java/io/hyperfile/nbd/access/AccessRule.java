package io.hyperfile.nbd.access;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.Arrays;
import javax.security.auth.x500.X500Principal;

/**
 * One allow-list rule: a client matches it by where it connects from or by the certificate it showed. Parsed from
 * text by {@link AccessRules#parse}; {@link #toString()} gives the text back in canonical form.
 */
public sealed interface AccessRule {

    /** Whether this connection's client matches the rule. */
    boolean matches(Peer peer);

    /** Every client. Text: {@code any}. */
    record Any() implements AccessRule {
        @Override
        public boolean matches(Peer peer) {
            return true;
        }

        @Override
        public String toString() {
            return "any";
        }
    }

    /** Every client of the Unix-domain socket (whose file permissions decide who can connect). Text: {@code unix}. */
    record UnixSocket() implements AccessRule {
        @Override
        public boolean matches(Peer peer) {
            return peer.isUnixSocket();
        }

        @Override
        public String toString() {
            return "unix";
        }
    }

    /**
     * TCP clients whose address lies in a network: the first {@code prefixBits} bits of the client's address equal
     * those of {@code network}. IPv4 rules match IPv4 clients and IPv4-mapped IPv6 clients ({@code ::ffff:a.b.c.d},
     * as a dual-stack listener sees IPv4 peers); IPv6 rules match IPv6 clients. Text: {@code 10.0.0.0/8},
     * {@code 192.168.1.7}, {@code fd00::/8}, {@code ::1}.
     *
     * @param network the address bytes (4 or 16), with the bits past the prefix cleared
     * @param prefixBits 0..32 for IPv4, 0..128 for IPv6
     */
    record Network(byte[] network, int prefixBits) implements AccessRule {
        public Network {
            network = network.clone();
            if (network.length != 4 && network.length != 16) {
                throw new IllegalArgumentException("network must have 4 or 16 bytes. length=" + network.length);
            }
            if (prefixBits < 0 || prefixBits > network.length * 8) {
                throw new IllegalArgumentException("prefixBits must be in 0.." + network.length * 8 + ". prefixBits=" + prefixBits);
            }
            for (int bit = prefixBits; bit < network.length * 8; bit++) {
                network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
            }
        }

        @Override
        public boolean matches(Peer peer) {
            InetAddress address = peer.address();
            if (address == null) {
                return false;
            }
            byte[] a = Peer.unmapped(address.getAddress());
            if (a.length != network.length) {
                return false;
            }
            int full = prefixBits / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (a[full] & mask) == (network[full] & mask);
        }

        @Override
        public byte[] network() {
            return network.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Network n && n.prefixBits == prefixBits && Arrays.equals(n.network, network);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(network) + prefixBits;
        }

        @Override
        public String toString() {
            try {
                String host = NetUtil.toAddressString(InetAddress.getByAddress(network)); // RFC 5952: ::1
                return prefixBits == network.length * 8 ? host : host + "/" + prefixBits;
            } catch (java.net.UnknownHostException e) {
                throw new IllegalStateException(e); // cannot happen: 4 or 16 bytes
            }
        }
    }

    /**
     * TLS clients whose verified certificate has this common name (any CN attribute of its subject, compared exactly,
     * case-sensitively). Text: {@code cn:client1}.
     */
    record CommonName(String commonName) implements AccessRule {
        public CommonName {
            if (commonName == null || commonName.isEmpty()) {
                throw new IllegalArgumentException("commonName must not be empty");
            }
        }

        @Override
        public boolean matches(Peer peer) {
            return peer.certificate() != null && Peer.commonNames(peer.certificate()).contains(commonName);
        }

        @Override
        public String toString() {
            return "cn:" + commonName;
        }
    }

    /**
     * TLS clients whose verified certificate has exactly this subject distinguished name, compared in the canonical
     * form of {@link X500Principal#equals} (attribute order matters; case and spacing of values do not). Text:
     * {@code subject:CN=client1,O=Example}.
     */
    record Subject(X500Principal subject) implements AccessRule {
        @Override
        public boolean matches(Peer peer) {
            return peer.certificate() != null && peer.certificate().getSubjectX500Principal().equals(subject);
        }

        @Override
        public String toString() {
            return "subject:" + subject.getName(X500Principal.RFC2253);
        }
    }
}
