package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.CloneOrigin;
import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.crypto.KeyRecord;
import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.crypto.Keyring;
import io.hyperfile.core.encoding.Encryption;
import io.hyperfile.core.encoding.SegmentEncoding;
import io.hyperfile.core.segment.SegmentFooter;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.segment.SegmentReader;
import io.hyperfile.core.store.ObjectInfo;
import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.volume.Clones;
import io.hyperfile.core.volume.VolumeCatalog;
import io.hyperfile.core.volume.VolumeOptions;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hyperfile volume create|list|info|du|resize|rollback|delete|clone|flatten}. */
@Command(name = "volume", mixinStandardHelpOptions = true, description = "Create, list, describe, resize, roll back, delete and clone volumes.",
        subcommands = {VolumeCommand.Create.class, VolumeCommand.ListVolumes.class, VolumeCommand.Info.class,
                VolumeDuCommand.class, VolumeResizeCommand.class, VolumeRollbackCommand.class, VolumeCommand.Delete.class,
                VolumeCloneCommand.class, VolumeFlattenCommand.class, VolumeRotateKeyCommand.class})
final class VolumeCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a volume (sparse: it costs nothing until written).")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "NAME", description = "Volume name: letters, digits, '.', '_', '-'.")
        String name;
        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "Disk size: bytes or 512M, 10G, 1T...")
        String size;
        @Option(names = "--block-size", paramLabel = "BYTES", defaultValue = "4096", description = "Block size (default ${DEFAULT-VALUE}).")
        int blockSize;
        @Option(names = "--segment-size", paramLabel = "SIZE", defaultValue = "8M", description = "Segment target size (default ${DEFAULT-VALUE}).")
        String segmentSize;
        @Option(names = "--index-node-size", paramLabel = "SIZE", defaultValue = "4K",
                description = "Largest index node: a power of two from 1K to 64K (default ${DEFAULT-VALUE}), fixed for the"
                        + " volume's life. Smaller nodes cost less to rewrite when FLUSHes follow a few scattered writes;"
                        + " larger ones make the index shallower, so a cold read needs fewer store round trips"
                        + " (docs/FORMAT.md).")
        String indexNodeSize;
        @Option(names = "--compression", paramLabel = "CODEC", defaultValue = "none",
                description = {"Compress segment data: none (default), lz4, or zstd[:LEVEL] (level 1-19, default 3).",
                        "Fixed for the volume's life; incompressible data is stored raw (docs/ENCODING.md)."})
        String compression;
        @Option(names = "--frame-size", paramLabel = "SIZE",
                description = {"With --compression: bytes of blocks compressed together, 4K to 1M (default 4K for lz4, 16K for zstd). Smaller",
                        "frames make random 4 KiB reads cheaper, larger ones pack better (docs/ENCODING.md)."})
        String frameSize;
        @Option(names = "--encryption", paramLabel = "CIPHER", defaultValue = "none",
                description = {"Encrypt the volume's segments: none (default) or aes-256-gcm, with the key that --key-file,",
                        "--key-env or --kms-key-id gives (needed by every command that opens it; docs/ENCRYPTION.md)."})
        String encryption;

        @Override
        public Integer call() {
            VolumeCatalog.checkName(name);
            Encryption cipher = Encryption.fromLabel(encryption);
            KeySource key = store.keySource();
            if (cipher != Encryption.NONE && key == null) {
                throw new IllegalArgumentException("--encryption " + cipher.label() + " needs a key: --key-file FILE,"
                        + " --key-env VAR or --kms-key-id ARN");
            }
            long bytes = Sizes.parse(size);
            if (bytes % blockSize != 0) {
                throw new IllegalArgumentException("size " + size + " is not a multiple of the block size " + blockSize);
            }
            if (Integer.bitCount(blockSize) == 1 && bytes > VolumeOptions.maxSizeBytes(blockSize)) {
                throw new IllegalArgumentException("size " + size + " is too large for blocks of " + blockSize + " bytes: at most "
                        + Sizes.format(VolumeOptions.maxSizeBytes(blockSize)) + " (the index addresses 2^48 blocks); use a larger --block-size");
            }
            long nodeBytes = Sizes.parse(indexNodeSize);
            if (Long.bitCount(nodeBytes) != 1 || nodeBytes < 1024 || nodeBytes > 65536) {
                throw new IllegalArgumentException("invalid --index-node-size " + indexNodeSize
                        + ": use a power of two from 1K to 64K");
            }
            VolumeOptions options = VolumeOptions.ofSize(bytes).withBlockSizeBytes(blockSize)
                    .withSegmentTargetBytes(Math.toIntExact(Sizes.parse(segmentSize)))
                    .withMaxNodeBytes((int) nodeBytes)
                    .withEncoding(encoding(compression, frameSize, cipher)).validate();
            try (ObjectStore s = store.open()) {
                VolumeCatalog catalog = new VolumeCatalog(s);
                VolumeDescriptor d = catalog.create(name, options, Clock.systemUTC()).join();
                if (cipher != Encryption.NONE) {
                    createKeys(catalog, s, name, d, key);
                }
            }
            spec.commandLine().getOut().println("created volume " + name + " (" + Sizes.format(bytes) + ") in " + store.store);
            return 0;
        }
    }

    /** The encoding the options ask for; {@link IllegalArgumentException} for a frame size without compression. */
    static SegmentEncoding encoding(String compression, String frameSize, Encryption cipher) {
        SegmentEncoding e = SegmentEncoding.parseCompression(compression).withEncryption(cipher);
        if (frameSize == null) {
            return e;
        }
        if (!e.isEncoded()) {
            throw new IllegalArgumentException("--frame-size applies to compressed volumes: give --compression lz4 or zstd");
        }
        long bytes = Sizes.parse(frameSize);
        if (Long.bitCount(bytes) != 1 || bytes < SegmentEncoding.MIN_FRAME_BYTES || bytes > SegmentEncoding.MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("invalid --frame-size " + frameSize + ": use a power of two from 4K to 1M");
        }
        return e.withFrameBytes((int) bytes);
    }

    /**
     * Writes version 1 of encrypted volume {@code name}'s data key now, so that a key that cannot wrap (KMS
     * unreachable or refusing) fails the create, which then removes the volume again.
     */
    static void createKeys(VolumeCatalog catalog, ObjectStore s, String name, VolumeDescriptor d, KeySource key) {
        try {
            Keyring.empty(name + "/", d.volumeId()).rotate(s, name + "/", key).join();
        } catch (RuntimeException e) {
            catalog.delete(name, n -> { }).exceptionally(x -> null).join();
            throw e;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the volumes of a store.")
    static final class ListVolumes implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;

        @Override
        public Integer call() {
            try (ObjectStore s = store.open()) {
                VolumeCatalog catalog = new VolumeCatalog(s);
                List<String> names = catalog.list().join();
                for (String name : names) {
                    VolumeCatalog.VolumeInfo info = catalog.info(name).join();
                    spec.commandLine().getOut().printf("%-24s %12s%n", name, Sizes.format(info.sizeBytes()));
                }
            }
            return 0;
        }
    }

    /** A command on one existing volume: opens the store, checks the volume is there, runs, closes the store. */
    abstract static class OnExistingVolume implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "NAME")
        String name;
        /** The store while {@link #run} runs. */
        ObjectStore opened;

        @Override
        public final Integer call() {
            try (ObjectStore s = store.open()) {
                opened = s;
                VolumeCatalog catalog = new VolumeCatalog(s);
                if (!acceptsIncomplete() || !catalog.isIncomplete(VolumeCatalog.checkName(name)).join()) {
                    store.requireVolume(catalog, name);
                }
                run(catalog, spec.commandLine().getOut());
            }
            return 0;
        }

        /** Whether the command also runs on a half-deleted volume (objects under its prefix but no descriptor). */
        boolean acceptsIncomplete() {
            return false;
        }

        abstract void run(VolumeCatalog catalog, PrintWriter out);
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a volume.")
    static final class Info extends OnExistingVolume {
        static final int RATIO_SEGMENTS = 64;

        @Override
        void run(VolumeCatalog catalog, PrintWriter out) {
            VolumeCatalog.VolumeInfo i = catalog.info(name).join();
            out.println("name:            " + i.name());
            out.println("id:              " + i.descriptor().volumeId());
            out.println("size:            " + Sizes.format(i.sizeBytes()) + " (" + i.sizeBytes() + " bytes)");
            out.println("block size:      " + i.descriptor().blockSizeBytes());
            out.println("segment target:  " + Sizes.format(i.descriptor().segmentTargetBytes()));
            out.println("index nodes:     up to " + Sizes.format(i.descriptor().maxNodeBytes()));
            out.println("format version:  " + i.descriptor().formatVersion().number());
            out.println("compression:     " + i.descriptor().encoding().describe()
                    + (i.descriptor().encoding().isEncoded() ? " in frames of " + Sizes.format(i.descriptor().encoding().frameBytes()) : ""));
            out.println("encryption:      " + i.descriptor().encoding().encryption().label());
            if (i.descriptor().encoding().isEncrypted()) {
                for (KeyRecord r : Keyring.records(opened, VolumeCatalog.checkName(name) + "/").join()) {
                    out.println("key version " + r.keyVersion() + ":   wrapped by " + r.describeWrapping());
                }
            }
            out.println("created:         " + Instant.ofEpochMilli(i.descriptor().createdMillis()));
            CloneOrigin origin = i.descriptor().origin();
            if (origin != null) {
                out.println("clone of:        " + origin.parentName() + " at checkpoint " + origin.baseSeq()
                        + (origin.flattened() ? " (flattened: reads nothing of it)" : ""));
            }
            List<String> clones = Clones.live(opened, name).join();
            if (!clones.isEmpty()) {
                out.println("clones:          " + String.join(", ", clones));
            }
            out.println("newest segment:  " + i.newestSeq());
            out.println("extents:         " + i.extentCount());
            out.println("allocated:       " + Sizes.format(i.mappedBytes()));
            List<ObjectInfo> objects = opened.listAll(VolumeCatalog.checkName(name) + "/", null).join();
            long stored = objects.stream().mapToLong(ObjectInfo::size).sum();
            out.println("stored:          " + VolumeDuCommand.bytes(stored) + " in " + objects.size()
                    + " objects (live and garbage: hyperfile volume du " + name + ")");
            if (i.descriptor().encoding().isEncoded()) {
                out.println("data ratio:      " + dataRatio(objects, i.descriptor()));
            }
        }

        /**
         * Stored data bytes per byte written, over the newest {@value #RATIO_SEGMENTS} segments (their footers say
         * both), so that the figure costs a bounded number of reads on any volume.
         */
        private String dataRatio(List<ObjectInfo> objects, VolumeDescriptor desc) {
            String p = name + "/";
            List<Long> seqs = new ArrayList<>();
            for (ObjectInfo o : objects) {
                if (o.key().startsWith(SegmentKeys.segmentPrefix(p))) {
                    seqs.add(SegmentKeys.parseSegment(p, o.key()));
                }
            }
            Collections.sort(seqs);
            List<Long> newest = seqs.subList(Math.max(0, seqs.size() - RATIO_SEGMENTS), seqs.size());
            SegmentReader reader = new SegmentReader(opened, p, desc.blockSizeBytes());
            long written = 0;
            long stored = 0;
            for (long seq : newest) {
                SegmentFooter f = reader.footer(seq).join();
                written += f.dataBlockCount() * desc.blockSizeBytes();
                stored += f.nodeOffset() - f.dataOffset();
            }
            if (written == 0) {
                return "no data written yet";
            }
            return String.format("%.3f (%s stored for %s of blocks in the newest %d segments)", (double) stored / written,
                    VolumeDuCommand.bytes(stored), VolumeDuCommand.bytes(written), newest.size());
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete a volume and all its data (or finish deleting a half-deleted one).",
                    "Refuses a volume that a running server holds (a fresh lease, docs/SERVING.md) unless --force."})
    static final class Delete extends OnExistingVolume {
        @Option(names = "--force", description = "Delete even if a server holds the volume (its writes then fail).")
        boolean force;

        @Override
        boolean acceptsIncomplete() {
            return true;
        }

        @Override
        void run(VolumeCatalog catalog, PrintWriter out) {
            LeaseGuard.requireNotServed(opened, name, "delete it", force, CliClock.clock(), spec.commandLine().getErr());
            Progress progress = new Progress(spec.commandLine().getErr(), "deleting " + name, "objects");
            progress.done(catalog.delete(name, progress::update).join());
            out.println("deleted volume " + name);
        }
    }
}
