package io.hyperfile.cli;

import io.hyperfile.core.CorruptionException;
import io.hyperfile.core.lease.Leases;
import io.hyperfile.core.lease.VolumeLease;
import io.hyperfile.core.store.Exceptions;
import io.hyperfile.core.store.ObjectStore;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * What the commands that would disturb a server check first (docs/SERVING.md): {@code volume delete},
 * {@code gc} (not {@code --dry-run}) and {@code import} into an existing volume refuse a volume whose lease
 * {@code P/lease} is fresh, in one line naming the holder and how long ago it renewed, unless {@code --force}. A
 * stale lease (its server is taken to be gone) does not stop them, nor does a fresh one whose server ran on this host
 * under a PID that no longer runs (killed, crashed); they say so on stderr. The lease is advisory:
 * this check and the server's start can race (docs/SERVING.md, "Races").
 */
final class LeaseGuard {
    private LeaseGuard() {
    }

    /**
     * Returns if {@code volume} may be changed ({@code action}: "delete it", say): it has no lease, a stale one, or
     * {@code force} is set (then a warning goes to {@code err}). Otherwise throws {@link IllegalStateException} with
     * one line (exit 1). A lease that cannot be read counts as fresh: only {@code --force} passes it.
     */
    static void requireNotServed(ObjectStore store, String volume, String action, boolean force, Clock clock, PrintWriter err) {
        Optional<VolumeLease> lease;
        try {
            lease = Leases.read(store, volume + "/").join();
        } catch (CompletionException e) {
            Throwable cause = Exceptions.unwrap(e);
            if (!(cause instanceof CorruptionException)) {
                throw e;
            }
            if (force) {
                err.println("hyperfile: warning: the lease of volume " + volume + " cannot be read; going on (--force)");
                return;
            }
            throw new IllegalStateException("volume " + volume + " has a lease " + Leases.key(volume + "/")
                    + " that cannot be read (" + Hyperfile.describe(cause) + "); if no server serves the volume, add --force to " + action);
        }
        Optional<String> held = holder(volume, lease, clock, err);
        if (held.isEmpty()) {
            return;
        }
        if (force) {
            err.println("hyperfile: warning: " + held.get() + "; going on (--force): that server's writes to it will fail");
            return;
        }
        throw new IllegalStateException(held.get() + "; stop that server first, or add --force to " + action + " anyway");
    }

    /**
     * Whether a running server holds {@code volume}: a fresh lease whose server may still run (notes on a stale or
     * orphaned lease go to {@code err}). A lease that cannot be read throws {@link IllegalStateException} with one line.
     */
    static boolean isServed(ObjectStore store, String volume, String action, Clock clock, PrintWriter err) {
        Optional<VolumeLease> lease;
        try {
            lease = Leases.read(store, volume + "/").join();
        } catch (CompletionException e) {
            Throwable cause = Exceptions.unwrap(e);
            if (!(cause instanceof CorruptionException)) {
                throw e;
            }
            throw new IllegalStateException("volume " + volume + " has a lease " + Leases.key(volume + "/")
                    + " that cannot be read (" + Hyperfile.describe(cause) + "); if no server serves the volume, add --force to " + action);
        }
        return holder(volume, lease, clock, err).isPresent();
    }

    /** "volume v is served by ... (lease renewed ...)" if {@code lease} is fresh and its server may run; else empty. */
    private static Optional<String> holder(String volume, Optional<VolumeLease> lease, Clock clock, PrintWriter err) {
        if (lease.isEmpty()) {
            return Optional.empty();
        }
        VolumeLease l = lease.get();
        Instant now = clock.instant();
        if (!l.isFresh(now)) {
            err.println("hyperfile: note: volume " + volume + " has a stale lease from " + l.holder() + " (renewed " + ago(l.age(now))
                    + "); that server is taken to be gone");
            return Optional.empty();
        }
        if (l.host().equals(LeaseKeeper.hostName()) && ProcessHandle.of(l.pid()).isEmpty()) {
            err.println("hyperfile: note: volume " + volume + " has a lease from " + l.holder() + " (renewed " + ago(l.age(now))
                    + "), but no process " + l.pid() + " runs on this host: that server is gone");
            return Optional.empty();
        }
        return Optional.of("volume " + volume + " is served by " + l.holder() + " (lease renewed " + ago(l.age(now)) + ")");
    }

    /** "12 s ago", "3 min ago", "in the future (clocks differ)". */
    static String ago(Duration age) {
        long s = age.toMillis() / 1000; // toward zero: 300 ms in the future reads "0 s ago"
        if (s < 0) {
            return "in the future (the clocks differ by " + Durations.format(age.negated().withNanos(0)) + ")";
        }
        return s < 120 ? s + " s ago" : s < 7200 ? (s / 60) + " min ago" : (s / 3600) + " h ago";
    }
}
