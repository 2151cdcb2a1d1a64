package io.hyperfile.nbd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    @Test
    void defaultsListenOnLoopbackOnTheIanaPort() {
        ServerConfig c = ServerConfig.builder().build();
        assertEquals("127.0.0.1", c.bindAddress());
        assertEquals(10809, c.port());
        assertEquals(32 << 20, c.maxPayloadBytes());
        assertEquals(64L << 20, c.maxInFlightBytes());
        assertEquals(c, c.toBuilder().build());
        assertEquals(1, c.handshake().minimumBlockSize());
        assertEquals(4096, c.handshake().preferredBlockSize());
        assertEquals(32 << 20, c.handshake().maximumPayload());
    }

    @Test
    void validatesEveryLimit() {
        assertEquals("port must be in 0..65535. port=70000",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().port(70000).build()).getMessage());
        assertEquals("resumeInFlightRequests must be in 0..maxInFlightRequests-1. resumeInFlightRequests=8",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().inFlightRequests(8, 8).build()).getMessage());
        assertEquals("maxInFlightBytes must be at least maxPayloadBytes. maxInFlightBytes=1024",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().inFlightBytes(1024, 512).build()).getMessage());
        assertEquals("maxPayloadBytes must be in 4096..32 MiB. maxPayloadBytes=67108864",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxPayloadBytes(64 << 20).build()).getMessage());
        assertEquals("bindAddress must not be blank",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().bindAddress(" ").build()).getMessage());
        assertEquals("handshakeTimeout must not be negative. handshakeTimeout=PT-1S",
                assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().handshakeTimeout(Duration.ofSeconds(-1)).build()).getMessage());
    }
}
