package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.nbd.protocol.NbdError;
import io.hyperfile.nbd.testing.NbdTestClient;
import io.hyperfile.nbd.testing.NbdTestClient.Options;
import io.hyperfile.nbd.testing.NbdTestClient.Reply;
import io.hyperfile.nbd.testing.ServerFixture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown: stop accepting, finish or fail (ESHUTDOWN) what is in flight, close, then volumes close. */
class NbdShutdownIT {

    @Test
    void inFlightRequestsFinishOrFailWithEshutdownAndNothingIsLost() throws Exception {
        try (ServerFixture f = new ServerFixture()) {
            f.addVolume("disk", 64L << 20);
            f.start();
            int port = f.port();
            NbdTestClient c = NbdTestClient.connect(port, "disk", Options.KERNEL);
            NbdTestClient idle = NbdTestClient.connect(port, "disk", Options.LIBNBD);
            Socket haggling = new Socket("127.0.0.1", port);
            byte[] d = new byte[1 << 20];
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                replies.add(c.send(CMD_WRITE, 0, (long) i << 20, d.length, d));
            }
            CompletableFuture<Void> stopped = f.server().shutdown();
            for (int i = 0; i < 8; i++) {
                replies.add(c.send(CMD_READ, 0, 0, 4096, null));
            }
            int ok = 0;
            int shutdown = 0;
            for (CompletableFuture<Reply> r : replies) {
                try {
                    Reply reply = r.get(60, TimeUnit.SECONDS);
                    if (reply.ok()) {
                        ok++;
                    } else {
                        assertEquals(NbdError.ESHUTDOWN.code(), reply.error());
                        shutdown++;
                    }
                } catch (ExecutionException e) {
                    // sent after the connection closed: never read by the server, so never acknowledged
                    assertTrue(e.getCause() instanceof IOException, e.toString());
                }
            }
            assertTrue(ok + shutdown > 0);
            stopped.get(60, TimeUnit.SECONDS);
            c.awaitClosedByServer(5000);
            idle.awaitClosedByServer(5000);
            assertTrue(c.isClosedByServer());
            assertTrue(idle.isClosedByServer());
            assertEquals(-1, haggling.getInputStream().readNBytes(18).length == 18 ? haggling.getInputStream().read() : -1);
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
            c.close();
            idle.close();
            haggling.close();
        }
    }
}
