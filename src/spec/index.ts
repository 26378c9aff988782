/**
 * The spec module's public API: load a stack file into a validated, normalised, frozen
 * StackSpec, plus the types and errors callers handle.
 */
export {
  loadStack,
  normaliseDocument,
  stackNameFromDirectory,
  type LoadStackOptions,
  type LoadedStack,
} from "./load-stack.js";
export type { LoadOptions } from "./load-document.js";
export {
  normalise,
  builtImageName,
  DEFAULT_UPDATE_CONFIG,
  LEGACY_KEYS_ACTED_ON,
  type NormaliseResult,
} from "./normalise.js";
export {
  checkStack,
  SERVICE_NAME_PATTERN,
  type SemanticCheckInput,
  type SemanticCheckResult,
} from "./semantic-checks.js";
export {
  parseByteSize,
  parseCpus,
  parseDuration,
  parseDurationMs,
  type UnitResult,
} from "./units.js";
export { shellSplit } from "./canonical/command.js";
export {
  serviceConfigHash,
  networkConfigHash,
  canonicalJson,
  CONFIG_HASH_VERSION,
} from "./config-hash.js";
export { SpecError, formatIssue, formatPos, MAX_REPORTED_ISSUES } from "./errors.js";
export { formatPath, type DocPath, type LoadedDocument, type PositionLookup } from "./document.js";
export type * from "./types.js";
