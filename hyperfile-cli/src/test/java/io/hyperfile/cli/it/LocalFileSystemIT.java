package io.hyperfile.cli.it;

import java.util.List;

/**
 * {@link AbstractFileSystemIT} on the embedded default: {@code hyperfile serve} with no arguments in an empty
 * working directory, which creates the local-directory store {@code ./hyperfile-data} and its 10 GiB volume
 * {@code disk0}.
 */
class LocalFileSystemIT extends AbstractFileSystemIT {
    @Override
    List<String> serveArgs() {
        return List.of();
    }

    @Override
    String export() {
        return "disk0";
    }
}
