/**
 * The error thrown for a configuration file that cannot be used. It carries every problem found,
 * one line each, so start-up reports them all at once instead of one per attempt.
 * @module
 */

export class ConfigError extends Error {
  /** One entry per problem, each already prefixed with the source and the key path. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}
