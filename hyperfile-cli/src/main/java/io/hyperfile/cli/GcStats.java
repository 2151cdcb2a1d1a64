package io.hyperfile.cli;

import io.hyperfile.core.gc.GcPassReport;
import io.hyperfile.core.gc.SpaceReport;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the background garbage collection of {@code serve} ({@link GcService}) did, per volume: passes run and failed,
 * segments and bytes deleted, live bytes moved by compaction, and the stored and live bytes the newest pass that
 * walked the volume measured. Read by the metrics endpoint. Thread-safe.
 */
final class GcStats {
    /** One volume's figures; counters only grow. */
    static final class Figures {
        private long passes;
        private long failedPasses;
        private long deletedSegments;
        private long deletedBytes;
        private long movedBytes;
        private long storedBytes = -1;
        private long liveBytes = -1;

        synchronized long passes() {
            return passes;
        }

        synchronized long failedPasses() {
            return failedPasses;
        }

        synchronized long deletedSegments() {
            return deletedSegments;
        }

        synchronized long deletedBytes() {
            return deletedBytes;
        }

        synchronized long movedBytes() {
            return movedBytes;
        }

        /** Stored bytes as of the newest pass with a space report; -1 before the first. */
        synchronized long storedBytes() {
            return storedBytes;
        }

        /** Live bytes as of the newest pass with a space report; -1 before the first. */
        synchronized long liveBytes() {
            return liveBytes;
        }

        synchronized void record(GcPassReport report, Throwable failure) {
            passes++;
            if (failure != null) {
                failedPasses++;
                return;
            }
            deletedSegments += report.deletedSegments().size();
            deletedBytes += report.deletedBytes();
            movedBytes += report.movedBytes();
            SpaceReport before = report.before();
            if (before != null) {
                storedBytes = before.storedBytes();
                liveBytes = before.liveBytes();
            }
        }
    }

    private final Map<String, Figures> volumes = new ConcurrentHashMap<>();

    /** Records a pass over {@code volume} that ended with {@code report}, or failed with {@code failure}. */
    void record(String volume, GcPassReport report, Throwable failure) {
        volumes.computeIfAbsent(volume, v -> new Figures()).record(report, failure);
    }

    /** The figures of each volume that has had a pass. */
    Map<String, Figures> volumes() {
        return Map.copyOf(volumes);
    }
}
