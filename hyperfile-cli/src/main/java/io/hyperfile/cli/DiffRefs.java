package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CheckpointRef;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.VolumeCatalog;

/** Parses and resolves the two VOLUME@X arguments of {@code diff} and {@code export-diff}: one volume, two checkpoints. */
record DiffRefs(CheckpointRef from, CheckpointRef to, long fromSeq, long toSeq) {

    static DiffRefs resolve(ObjectStore s, StoreOptions store, String fromText, String toText) {
        CheckpointRef from = CheckpointRef.parse(fromText);
        CheckpointRef to = CheckpointRef.parse(toText);
        if (!from.volume().equals(to.volume())) {
            throw new IllegalArgumentException("both checkpoints must be of one volume: " + from + " and " + to);
        }
        store.requireVolume(new VolumeCatalog(s), from.volume());
        return new DiffRefs(from, to, from.resolve(s).join(), to.resolve(s).join());
    }

    String volume() {
        return from.volume();
    }

    String prefix() {
        return from.prefix();
    }
}
