/** A failure the CLI reports as one line on stderr. */
export class CliError extends Error {}
