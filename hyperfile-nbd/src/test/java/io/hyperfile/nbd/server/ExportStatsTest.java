package io.hyperfile.nbd.server;

import static io.hyperfile.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hyperfile.core.store.FailureCategory;
import io.hyperfile.core.store.StorageException;
import io.hyperfile.nbd.export.Export;
import io.hyperfile.nbd.protocol.NbdRequest;
import io.hyperfile.nbd.protocol.NbdSession;
import io.hyperfile.nbd.testing.FakeBlockDevice;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link NbdTransmissionHandler} counts into {@link ExportStats}: requests per op, failures, bytes, requests
 * in flight, connections and durations, against a {@link FakeBlockDevice} whose futures the test completes, with a
 * clock the test moves.
 */
class ExportStatsTest {
    private static final int SIZE = 1 << 20;

    private final FakeBlockDevice device = new FakeBlockDevice(SIZE, 4096);
    private final List<String> observed = new ArrayList<>();
    private long now;
    private final NbdStats stats = new NbdStats((export, op) -> nanos -> observed.add(export + " " + op + " " + nanos), () -> now);
    private EmbeddedChannel channel;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private ExportStats open() {
        Export export = Export.of("disk", device);
        NbdSession session = new NbdSession(export, false, 0, NbdSession.transmissionFlags(false, false));
        ExportStats s = stats.export("disk");
        channel = new EmbeddedChannel(new NbdTransmissionHandler(session, ServerConfig.builder().build(), new ServerState(), s));
        return s;
    }

    private void drainReplies() {
        channel.runPendingTasks();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(o);
        }
    }

    @Test
    void countsRequestsBytesAndDurationsPerOp() {
        ExportStats s = open();
        assertEquals(1, s.connections());
        device.hold();
        for (int i = 0; i < 3; i++) {
            channel.writeInbound(new NbdRequest(0, CMD_WRITE, i, i * 8192L, 8192, Unpooled.wrappedBuffer(new byte[8192])));
        }
        channel.writeInbound(new NbdRequest(0, CMD_READ, 10, 0, 4096));
        assertEquals(4, s.inFlight());
        assertEquals(3, s.requests("write"));
        assertEquals(0, s.bytesWritten(), "bytes count once the device answered");

        now = 5_000;
        device.held().forEach(FakeBlockDevice.Call::complete);
        drainReplies();

        assertEquals(0, s.inFlight());
        assertEquals(3 * 8192, s.bytesWritten());
        assertEquals(4096, s.bytesRead());
        assertEquals(1, s.requests("read"));
        assertEquals(0, s.errors("write"));
        assertEquals(List.of("disk write 5000", "disk write 5000", "disk write 5000", "disk read 5000"), observed);
    }

    @Test
    void failuresAndRejectionsCountAsErrorsAndMoveNoBytes() {
        ExportStats s = open();
        device.failNext(new StorageException("k", FailureCategory.TRANSIENT, "store down"));
        channel.writeInbound(new NbdRequest(0, CMD_WRITE, 1, 0, 4096, Unpooled.wrappedBuffer(new byte[4096])));
        channel.writeInbound(new NbdRequest(0, CMD_READ, 2, SIZE, 4096)); // beyond the end: rejected, EINVAL
        channel.writeInbound(new NbdRequest(0, 42, 3, 0, 0)); // unknown command
        drainReplies();

        assertEquals(1, s.requests("write"));
        assertEquals(1, s.errors("write"));
        assertEquals(1, s.errors("read"));
        assertEquals(1, s.requests("other"));
        assertEquals(1, s.errors("other"));
        assertEquals(0, s.bytesWritten());
        assertEquals(0, s.bytesRead());
        assertEquals(0, s.inFlight());
        assertEquals(List.of("disk write 0"), observed, "rejected requests never reached the device: no duration");
    }

    @Test
    void aClosedConnectionIsNoLongerCounted() {
        ExportStats s = open();
        channel.close();
        assertEquals(0, s.connections());
        assertEquals(1, stats.exports().size());
    }

    @Test
    void unknownOpLabelsAreRefused() {
        ExportStats s = open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.requests("WRITE"));
        assertEquals("unknown op 'WRITE'; one of " + ExportStats.OPS, e.getMessage());
    }
}
