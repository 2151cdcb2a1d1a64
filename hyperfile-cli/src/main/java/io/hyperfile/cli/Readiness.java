package io.hyperfile.cli;

import io.hyperfile.core.volume.HealthState;
import io.hyperfile.core.volume.Volume;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Whether {@code serve} is ready (docs/METRICS.md, "Health"): the NBD server listens and every volume it was asked to
 * serve is open and healthy ({@link HealthState#OPEN}). A volume still opening, being retried, failed, degraded (store
 * failing), read-only after corruption, fenced or closed makes it not ready, and the reason names each such volume.
 * Snapshots are not counted. Thread-safe: reads the exports' statuses and the volumes' health states.
 */
final class Readiness {
    /** The answer: ready or not, and one line saying why. */
    record Verdict(boolean ready, String reason) {
    }

    private final VolumeExports volumes;
    private final BooleanSupplier listening;

    Readiness(VolumeExports volumes, BooleanSupplier listening) {
        this.volumes = volumes;
        this.listening = listening;
    }

    Verdict check() {
        List<String> problems = new ArrayList<>();
        if (!listening.getAsBoolean()) {
            problems.add("the NBD server is not listening yet");
        }
        Map<String, Volume> served = volumes.servedVolumes();
        int ok = 0;
        for (Map.Entry<String, VolumeExports.Status> e : volumes.statuses().entrySet()) {
            String name = e.getKey();
            String problem = switch (e.getValue()) {
                case OPENING -> "still opening";
                case RETRYING -> "cannot be opened yet, retrying";
                case FAILED -> "cannot be served";
                case SERVED -> problem(served.get(name));
            };
            if (problem == null) {
                ok++;
            } else {
                problems.add("volume " + name + " " + problem);
            }
        }
        if (problems.isEmpty()) {
            return new Verdict(true, "ready: " + ok + (ok == 1 ? " volume" : " volumes") + " served");
        }
        return new Verdict(false, "not ready: " + String.join("; ", problems));
    }

    private static String problem(Volume v) {
        if (v == null) {
            return "is not open";
        }
        return switch (v.health()) {
            case OPEN -> null;
            case DEGRADED -> "is degraded (store requests failing, retrying)";
            case READ_ONLY -> "is read-only after errors (corruption found)";
            case FENCED -> "is fenced (another writer took it over)";
            case CLOSED -> "is closed";
        };
    }
}
