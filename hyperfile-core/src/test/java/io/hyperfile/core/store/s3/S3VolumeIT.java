package io.hyperfile.core.store.s3;

import io.hyperfile.core.store.ObjectStore;
import io.hyperfile.core.store.RetryPolicy;
import io.hyperfile.core.store.RetryingObjectStore;
import io.hyperfile.core.volume.AbstractVolumeStoreTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The volume suite on S3 (LocalStack with Docker, embedded S3Proxy without), through the retry layer as in use. */
@ExtendWith(S3Backend.class)
class S3VolumeIT extends AbstractVolumeStoreTest {
    private static S3Backend.Backend backend;
    private static String bucket;

    @BeforeAll
    static void useBucket(S3Backend.ClassBucket b) {
        backend = b.backend();
        bucket = b.name();
    }

    @Override
    protected ObjectStore createStore() {
        return new RetryingObjectStore(new S3ObjectStore(backend.storeConfig(bucket).build()), RetryPolicy.DEFAULT);
    }
}
