/**
 * Client-side encryption of a volume's objects (docs/ENCRYPTION.md): the volume's data keys ({@link Keyring}, one
 * {@link KeyRecord} per key version, each wrapped by the user's key: a {@link KeySource}), the encrypted object
 * format ({@link ObjectEnvelope}) and the store layer that applies it ({@link EncryptingObjectStore}).
 */
package io.hyperfile.core.crypto;
