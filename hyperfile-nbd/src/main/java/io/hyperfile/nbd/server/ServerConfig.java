package io.hyperfile.nbd.server;

import io.hyperfile.nbd.protocol.HandshakeSettings;
import io.hyperfile.nbd.protocol.NbdConstants;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Runtime settings of an {@link NbdServer}; immutable, built with {@link #builder()}. None is changeable at
 * runtime.
 *
 * <table>
 * <caption>settings</caption>
 * <tr><th>key</th><th>default</th><th>meaning</th></tr>
 * <tr><td>{@code bindAddress}</td><td>127.0.0.1</td><td>address to listen on (a host name or IP literal)</td></tr>
 * <tr><td>{@code port}</td><td>10809</td><td>TCP port (0: any free port, see {@link NbdServer#port()})</td></tr>
 * <tr><td>{@code ioThreads}</td><td>min(4, cores)</td><td>event-loop threads for all connections</td></tr>
 * <tr><td>{@code maxInFlightRequests}</td><td>512</td><td>per connection: stop reading above this many
 *   outstanding requests (auto-read off)</td></tr>
 * <tr><td>{@code resumeInFlightRequests}</td><td>256</td><td>per connection: read again at or below this</td></tr>
 * <tr><td>{@code maxInFlightBytes}</td><td>64 MiB</td><td>per connection: stop reading above this many payload
 *   and reply bytes held (READ length counts until the reply is written, WRITE length until the device took
 *   it)</td></tr>
 * <tr><td>{@code resumeInFlightBytes}</td><td>32 MiB</td><td>per connection: read again at or below this</td></tr>
 * <tr><td>{@code maxPayloadBytes}</td><td>32 MiB</td><td>largest READ served and largest WRITE accepted (a longer
 *   WRITE closes the connection); also the advertised maximum block size</td></tr>
 * <tr><td>{@code maxOptionBytes}</td><td>64 KiB</td><td>largest handshake option data</td></tr>
 * <tr><td>{@code handshakeTimeout}</td><td>30 s</td><td>close connections still haggling after this</td></tr>
 * <tr><td>{@code holeReadThreshold}</td><td>64 KiB</td><td>structured READs at least this long ask the index for
 *   holes and send them as OFFSET_HOLE chunks; shorter ones are sent as data</td></tr>
 * <tr><td>{@code shutdownTimeout}</td><td>30 s</td><td>how long {@link NbdServer#close()} waits for in-flight
 *   requests before it closes connections anyway</td></tr>
 * <tr><td>{@code transport}</td><td>AUTO</td><td>socket transport: {@code EPOLL} (Linux native: fewer system
 *   calls per request), {@code NIO} (portable), or {@code AUTO} (epoll where its native library loads)</td></tr>
 * <tr><td>{@code unixSocket}</td><td>none</td><td>also listen on this Unix-domain socket path (needs the epoll
 *   transport); a stale socket file is removed at start if nothing listens on it, and the file is deleted at
 *   shutdown</td></tr>
 * <tr><td>{@code tcp}</td><td>true</td><td>listen on {@code bindAddress:port}; false ({@code noTcp()}) only with
 *   a Unix-domain socket</td></tr>
 * </table>
 */
public record ServerConfig(String bindAddress, int port, int ioThreads, int maxInFlightRequests,
        int resumeInFlightRequests, long maxInFlightBytes, long resumeInFlightBytes, int maxPayloadBytes,
        int maxOptionBytes, Duration handshakeTimeout, int holeReadThreshold, Duration shutdownTimeout, Transport transport,
        Path unixSocket, boolean tcp) {

    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 10809;

    public ServerConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        check(!bindAddress.isBlank(), "bindAddress must not be blank");
        check(port >= 0 && port <= 65535, "port must be in 0..65535. port=" + port);
        check(ioThreads >= 1, "ioThreads must be positive. ioThreads=" + ioThreads);
        check(maxInFlightRequests >= 1, "maxInFlightRequests must be positive. maxInFlightRequests=" + maxInFlightRequests);
        check(resumeInFlightRequests >= 0 && resumeInFlightRequests < maxInFlightRequests,
                "resumeInFlightRequests must be in 0..maxInFlightRequests-1. resumeInFlightRequests=" + resumeInFlightRequests);
        check(maxPayloadBytes >= 4096 && maxPayloadBytes <= NbdConstants.MAX_PAYLOAD_BYTES,
                "maxPayloadBytes must be in 4096..32 MiB. maxPayloadBytes=" + maxPayloadBytes);
        check(maxInFlightBytes >= maxPayloadBytes, "maxInFlightBytes must be at least maxPayloadBytes. maxInFlightBytes="
                + maxInFlightBytes);
        check(resumeInFlightBytes >= 0 && resumeInFlightBytes < maxInFlightBytes,
                "resumeInFlightBytes must be in 0..maxInFlightBytes-1. resumeInFlightBytes=" + resumeInFlightBytes);
        check(maxOptionBytes >= 4160 && maxOptionBytes <= (16 << 20), "maxOptionBytes must be in 4160..16 MiB. maxOptionBytes="
                + maxOptionBytes);
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        check(!handshakeTimeout.isNegative(), "handshakeTimeout must not be negative. handshakeTimeout=" + handshakeTimeout);
        check(holeReadThreshold >= 512, "holeReadThreshold must be at least 512. holeReadThreshold=" + holeReadThreshold);
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        check(!shutdownTimeout.isNegative(), "shutdownTimeout must not be negative. shutdownTimeout=" + shutdownTimeout);
        Objects.requireNonNull(transport, "transport");
        check(tcp || unixSocket != null, "a server must listen on TCP, a Unix-domain socket or both");
        check(unixSocket == null || transport != Transport.NIO, "a Unix-domain socket needs the epoll transport, not NIO");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The handshake's share of these settings. */
    public HandshakeSettings handshake() {
        return new HandshakeSettings(maxOptionBytes, handshakeTimeout.toMillis(), 1, 4096, maxPayloadBytes);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().bindAddress(bindAddress).port(port).ioThreads(ioThreads)
                .inFlightRequests(maxInFlightRequests, resumeInFlightRequests).inFlightBytes(maxInFlightBytes, resumeInFlightBytes)
                .maxPayloadBytes(maxPayloadBytes).maxOptionBytes(maxOptionBytes).handshakeTimeout(handshakeTimeout)
                .holeReadThreshold(holeReadThreshold).shutdownTimeout(shutdownTimeout).transport(transport)
                .unixSocket(unixSocket).tcp(tcp);
    }

    public static final class Builder {
        private String bindAddress = DEFAULT_BIND_ADDRESS;
        private int port = DEFAULT_PORT;
        private int ioThreads = Math.min(4, Runtime.getRuntime().availableProcessors());
        private int maxInFlightRequests = 512;
        private int resumeInFlightRequests = 256;
        private long maxInFlightBytes = 64L << 20;
        private long resumeInFlightBytes = 32L << 20;
        private int maxPayloadBytes = NbdConstants.MAX_PAYLOAD_BYTES;
        private int maxOptionBytes = 64 << 10;
        private Duration handshakeTimeout = Duration.ofSeconds(30);
        private int holeReadThreshold = 64 << 10;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private Transport transport = Transport.AUTO;
        private Path unixSocket;
        private boolean tcp = true;

        public Builder bindAddress(String v) {
            bindAddress = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        /** Pause reading above {@code max} outstanding requests, resume at or below {@code resume}. */
        public Builder inFlightRequests(int max, int resume) {
            maxInFlightRequests = max;
            resumeInFlightRequests = resume;
            return this;
        }

        /** Pause reading above {@code max} bytes held, resume at or below {@code resume}. */
        public Builder inFlightBytes(long max, long resume) {
            maxInFlightBytes = max;
            resumeInFlightBytes = resume;
            return this;
        }

        public Builder maxPayloadBytes(int v) {
            maxPayloadBytes = v;
            return this;
        }

        public Builder maxOptionBytes(int v) {
            maxOptionBytes = v;
            return this;
        }

        public Builder handshakeTimeout(Duration v) {
            handshakeTimeout = v;
            return this;
        }

        public Builder holeReadThreshold(int v) {
            holeReadThreshold = v;
            return this;
        }

        public Builder transport(Transport v) {
            transport = v;
            return this;
        }

        /** Also listen on this Unix-domain socket (null: none). */
        public Builder unixSocket(Path v) {
            unixSocket = v;
            return this;
        }

        /** Listen on the Unix-domain socket only, not on TCP (needs a {@link #unixSocket}). */
        public Builder noTcp() {
            tcp = false;
            return this;
        }

        private Builder tcp(boolean v) {
            tcp = v;
            return this;
        }

        public Builder shutdownTimeout(Duration v) {
            shutdownTimeout = v;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(bindAddress, port, ioThreads, maxInFlightRequests, resumeInFlightRequests,
                    maxInFlightBytes, resumeInFlightBytes, maxPayloadBytes, maxOptionBytes, handshakeTimeout,
                    holeReadThreshold, shutdownTimeout, transport, unixSocket, tcp);
        }
    }

    /** The socket transport; see the class comment. */
    public enum Transport { AUTO, EPOLL, NIO }
}
