/**
 * The S3 object store: {@link io.hyperfile.core.store.s3.S3ObjectStore} on the AWS SDK v2 CRT client, its
 * configuration {@link io.hyperfile.core.store.s3.S3StoreConfig}, and {@link io.hyperfile.core.store.s3.S3Errors},
 * the one place where SDK exceptions are inspected and turned into
 * {@link io.hyperfile.core.store.StorageException}s. Nothing outside this package imports the AWS SDK.
 * Configuration for AWS S3, S3 Express directory buckets, MinIO and S3Proxy is described in {@code docs/S3.md}.
 */
package io.hyperfile.core.store.s3;
