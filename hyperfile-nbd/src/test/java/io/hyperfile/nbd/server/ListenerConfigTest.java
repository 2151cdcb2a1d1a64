package io.hyperfile.nbd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Which listeners a {@link ServerConfig} asks for: TCP by default, a Unix socket beside it or instead of it. */
class ListenerConfigTest {
    @Test
    void tcpByDefaultAndUnixSocketBesideOrInstead() {
        ServerConfig plain = ServerConfig.builder().build();
        assertTrue(plain.tcp());
        assertNull(plain.unixSocket());
        ServerConfig both = ServerConfig.builder().unixSocket(Path.of("/run/hf.sock")).build();
        assertTrue(both.tcp());
        ServerConfig unixOnly = ServerConfig.builder().unixSocket(Path.of("/run/hf.sock")).noTcp().build();
        assertEquals(unixOnly, unixOnly.toBuilder().build(), "toBuilder keeps the listeners");
    }

    @Test
    void aServerMustListenSomewhereAndUnixSocketsNeedEpoll() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().noTcp().build());
        assertEquals("a server must listen on TCP, a Unix-domain socket or both", none.getMessage());
        IllegalArgumentException nio = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.builder().transport(ServerConfig.Transport.NIO).unixSocket(Path.of("x.sock")).build());
        assertEquals("a Unix-domain socket needs the epoll transport, not NIO", nio.getMessage());
    }
}
