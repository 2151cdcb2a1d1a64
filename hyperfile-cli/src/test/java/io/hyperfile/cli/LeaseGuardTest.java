package io.hyperfile.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.store.memory.InMemoryObjectStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@link LeaseGuard}: a fresh lease refuses in one line, a stale one or {@code --force} lets the command go on. */
class LeaseGuardTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    private final InMemoryObjectStore store = new InMemoryObjectStore();
    private final StringWriter err = new StringWriter();

    private void leaseRenewedAgo(Duration ago) {
        Leases.write(store, "v/", new VolumeLease(UUID.randomUUID(), "box", 4242, "127.0.0.1:10809", 0,
                NOW.minus(ago).toEpochMilli(), 30_000)).join();
    }

    private void check(boolean force) {
        LeaseGuard.requireNotServed(store, "v", "delete it", force, new TestClock(NOW), new PrintWriter(err, true));
    }

    @Test
    void noLeaseNothingToSay() {
        check(false);
        assertEquals("", err.toString());
    }

    @Test
    void aFreshLeaseRefusesNamingTheHolderAndTheAge() {
        leaseRenewedAgo(Duration.ofSeconds(12));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> check(false));
        assertEquals("volume v is served by host box, pid 4242, serving on 127.0.0.1:10809 (lease renewed 12 s ago); stop"
                + " that server first, or add --force to delete it anyway", e.getMessage());
        leaseRenewedAgo(Duration.ofSeconds(90));
        assertThrows(IllegalStateException.class, () -> check(false), "fresh up to three periods");
    }

    @Test
    void forceGoesOnWithAWarning() {
        leaseRenewedAgo(Duration.ofSeconds(5));
        check(true);
        assertEquals("hyperfile: warning: volume v is served by host box, pid 4242, serving on 127.0.0.1:10809 (lease renewed"
                + " 5 s ago); going on (--force): that server's writes to it will fail", err.toString().strip());
    }

    @Test
    void aStaleLeaseDoesNotBlock() {
        leaseRenewedAgo(Duration.ofSeconds(91));
        check(false);
        assertTrue(err.toString().startsWith("hyperfile: note: volume v has a stale lease from host box, pid 4242"), err.toString());
        leaseRenewedAgo(Duration.ofHours(3));
        check(false);
        assertTrue(err.toString().contains("(renewed 3 h ago)"), err.toString());
    }

    @Test
    void aFreshLeaseOfAProcessOfThisHostThatNoLongerRunsDoesNotBlock() throws Exception {
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Leases.write(store, "v/", new VolumeLease(UUID.randomUUID(), LeaseKeeper.hostName(), exited.pid(), "127.0.0.1:10809",
                0, NOW.minusSeconds(5).toEpochMilli(), 30_000)).join();
        check(false);
        assertTrue(err.toString().contains("but no process " + exited.pid() + " runs on this host: that server is gone"),
                err.toString());

        Leases.write(store, "v/", new VolumeLease(UUID.randomUUID(), LeaseKeeper.hostName(), ProcessHandle.current().pid(),
                "127.0.0.1:10809", 0, NOW.minusSeconds(5).toEpochMilli(), 30_000)).join();
        assertThrows(IllegalStateException.class, () -> check(false), "a process of this host that runs holds it");
    }

    @Test
    void anUnreadableLeaseNeedsForce() {
        store.put("v/lease", ByteBuffer.wrap(new byte[] {1, 2, 3})).join();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> check(false));
        assertTrue(e.getMessage().startsWith("volume v has a lease v/lease that cannot be read ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("); if no server serves the volume, add --force to delete it"), e.getMessage());
        check(true);
    }

    @Test
    void agesReadPlainly() {
        assertEquals("0 s ago", LeaseGuard.ago(Duration.ofMillis(-300)));
        assertEquals("119 s ago", LeaseGuard.ago(Duration.ofSeconds(119)));
        assertEquals("2 min ago", LeaseGuard.ago(Duration.ofSeconds(120)));
        assertTrue(LeaseGuard.ago(Duration.ofSeconds(-10)).startsWith("in the future"), LeaseGuard.ago(Duration.ofSeconds(-10)));
    }
}
