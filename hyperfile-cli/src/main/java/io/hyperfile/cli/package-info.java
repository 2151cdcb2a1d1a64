/** The {@code hyperfile} command line (built in a later issue). */
package io.hyperfile.cli;
