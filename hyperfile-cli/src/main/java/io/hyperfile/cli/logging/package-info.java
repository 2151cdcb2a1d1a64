/**
 * Logging of the {@code hyperfile} command in JSON lines ({@code --log-format json}): a small SLF4J provider that
 * writes one JSON object per event to standard error. Text logs ({@code --log-format text}) stay with slf4j-simple;
 * both take their levels from the same {@code org.slf4j.simpleLogger.*} system properties.
 */
package io.hyperfile.cli.logging;
