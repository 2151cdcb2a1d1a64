/**
 * Who may use which export, and how many connections a server and each export take: allow-list rules
 * ({@link io.hyperfile.nbd.access.AccessRule}, parsed by {@link io.hyperfile.nbd.access.AccessRules}), the policy that
 * applies them per export ({@link io.hyperfile.nbd.access.AccessPolicy}), connection limits
 * ({@link io.hyperfile.nbd.access.ConnectionLimits}), and {@link io.hyperfile.nbd.access.ExportAccess}, which puts them
 * together for the handshake. The user-facing description is docs/ACCESS.md.
 */
package io.hyperfile.nbd.access;
