package io.hyperfile.cli;

import io.hyperfile.core.checkpoint.VolumeDescriptor;
import io.hyperfile.core.crypto.KeySource;
import io.hyperfile.core.crypto.Keyring;
import io.hyperfile.core.segment.SegmentKeys;
import io.hyperfile.core.store.ByteRange;
import io.hyperfile.core.volume.VolumeCatalog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code volume rotate-key NAME}: a new data key version for an encrypted volume's new segments, and, with a
 * {@code --new-*} key, every data key moved under that key (docs/ENCRYPTION.md, "Rotation").
 */
@Command(name = "rotate-key", mixinStandardHelpOptions = true,
        description = {"Give an encrypted volume a new data key for the segments written from now on (old segments stay",
                "readable), and with --new-key-file, --new-key-env or --new-kms-key-id move all its data keys under that",
                "key, after which the old key no longer opens the volume. A server holding the volume starts using the",
                "new version when it next opens it."})
final class VolumeRotateKeyCommand extends VolumeCommand.OnExistingVolume {
    @Option(names = "--new-key-file", paramLabel = "FILE", description = "The volume's new key: a file of 32 raw bytes.")
    Path newKeyFile;

    @Option(names = "--new-key-env", paramLabel = "VAR", description = "The volume's new key, from environment variable VAR.")
    String newKeyEnv;

    @Option(names = "--new-kms-key-id", paramLabel = "ARN", description = "The volume's new key: an AWS KMS key.")
    String newKmsKeyId;

    @Override
    void run(VolumeCatalog catalog, PrintWriter out) {
        String prefix = VolumeCatalog.checkName(name) + "/";
        VolumeDescriptor d = VolumeDescriptor.decode(SegmentKeys.descriptor(prefix),
                opened.get(SegmentKeys.descriptor(prefix), ByteRange.all()).join().data());
        if (!d.encoding().isEncrypted()) {
            throw new IllegalStateException("volume " + name + " is not encrypted: it has no key to rotate");
        }
        KeySource current = store.keySource();
        if (current == null) {
            throw new IllegalArgumentException("rotate-key needs the volume's key: --key-file FILE, --key-env VAR or --kms-key-id ARN");
        }
        KeySource next = newKeySource();
        if (next != null) {
            List<Integer> moved = Keyring.rewrap(opened, prefix, d.volumeId(), current, next).join();
            out.println("volume " + name + ": key versions " + moved + " now wrapped by " + next.describe());
        }
        KeySource wrapping = next != null ? next : current;
        Keyring rotated = Keyring.load(opened, prefix, d.volumeId(), wrapping).join().rotate(opened, prefix, wrapping).join();
        out.println("volume " + name + ": new segments use key version " + rotated.newestVersion() + " (versions "
                + rotated.versions() + " stay readable); a server holding the volume uses it from its next open");
    }

    private KeySource newKeySource() {
        return KeySources.of(newKeyFile, newKeyEnv, newKmsKeyId, store,
                "give one new key: --new-key-file, --new-key-env or --new-kms-key-id");
    }
}
