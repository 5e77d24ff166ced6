/** The command line was wrong (as opposed to the file it named): exit status 2, with the usage. */
export class UsageError extends Error {}
