package io.hyperfile.cli;

import io.hyperfile.core.volume.Volume;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How {@link VolumeExports} ends volumes it no longer serves, without failing the caller. */
final class VolumeEnds {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeExports.class);

    private VolumeEnds() {
    }

    /**
     * Aborts {@code v} (it writes nothing more; buffered writes are dropped) on a thread of its own, since abort waits
     * for the volume's thread and its store writes; the future completes once it is done and never fails.
     */
    static CompletableFuture<Void> abort(Volume v) {
        CompletableFuture<Void> aborted = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                v.abort();
            } finally {
                aborted.complete(null);
            }
        }, "hf-withdraw-" + v.name());
        t.setDaemon(true);
        t.start();
        return aborted;
    }

    /** Closes (flushes) {@code v} in the background, logging a failure. */
    static void close(Volume v) {
        v.close().whenComplete((x, e) -> {
            if (e != null) {
                LOG.warn("volume {} could not be closed: {}", v.name(), e.toString());
            }
        });
    }
}
