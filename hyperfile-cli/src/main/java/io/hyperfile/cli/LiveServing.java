package io.hyperfile.cli;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * How {@code serve} follows the store while it runs (docs/SERVING.md): which volumes a rescan may open, how often it
 * rescans, and whether (and how often) it keeps leases on the volumes it serves for writing.
 *
 * @param named the volumes serve was started with; empty: every volume of the store, including those created later
 * @param rescanInterval time between rescans; zero: only on SIGHUP ({@link ExportRescan})
 * @param leases whether to keep a lease {@code P/lease} on each volume served for writing ({@link LeaseKeeper})
 * @param leaseRenewPeriod how often a lease is renewed
 * @param clock the wall clock that stamps leases
 */
record LiveServing(List<String> named, Duration rescanInterval, boolean leases, Duration leaseRenewPeriod, Clock clock) {
    LiveServing {
        named = List.copyOf(named);
        if (rescanInterval.isNegative() || leaseRenewPeriod.isNegative() || leaseRenewPeriod.isZero()) {
            throw new IllegalArgumentException("rescanInterval must be non-negative and leaseRenewPeriod positive. rescanInterval="
                    + rescanInterval + ", leaseRenewPeriod=" + leaseRenewPeriod);
        }
    }

    /** No periodic rescans and no leases (rescans on demand still work): the servers of tests that look at neither. */
    static LiveServing off(List<String> named) {
        return new LiveServing(named, Duration.ZERO, false, LeaseKeeper.RENEW_PERIOD, Clock.systemUTC());
    }
}
