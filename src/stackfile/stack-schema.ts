/**
 * The stack-file JSON Schema (schemas/stack.schema.json) and the ajv settings it is compiled
 * with, shared by the run-time compiler (compile-stack-schema.ts) and the build, which
 * compiles it ahead of time with ajv's standalone code (scripts/standalone-stack-schema.ts).
 */
import { readFileSync } from "node:fs";
import type { Options, ValidateFunction } from "ajv/dist/2020.js";

/** A JSON Schema object as parsed from the schema file. */
export type SchemaObject = Readonly<Record<string, unknown>>;

/**
 * The ajv options the schema is compiled with. Strict mode catches schema mistakes
 * (unknown keywords, keywords that cannot apply to the declared type); union types
 * (`"type": ["integer", "string"]`) are allowed because interpolated values arrive as
 * strings where compose expects numbers, and one union type gives one clear error where
 * an `anyOf` would give several.
 */
export const STACK_SCHEMA_AJV_OPTIONS: Readonly<Options> = {
  strict: true,
  allErrors: true,
  allowUnionTypes: true,
  // verbose puts the failing value and the failing schema on each error; the messages and
  // the anyOf branch choice need both.
  verbose: true,
  // A run-time compile (the tests; the built CLI and library use the code the build
  // generated) skips checking the schema against the draft 2020-12 meta-schema and
  // optimising the generated code: they took ~600 of ~850 ms, and neither changes what
  // the validator decides (test/unit/stackfile/schema.test.ts checks the schema with the
  // meta-schema on).
  validateSchema: false,
  code: { optimize: false },
};

// src/stackfile/ and dist/stackfile/ are both two levels below the package root, where
// schemas/ is shipped.
const SCHEMA_URL = new URL("../../schemas/stack.schema.json", import.meta.url);

/** Reads the shipped JSON Schema for stack files (draft 2020-12) from schemas/. */
export function readStackSchema(): SchemaObject {
  return JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as SchemaObject;
}

/**
 * The stack schema ready to validate with. Every `schema` and `parentSchema` on an error
 * of {@link validate} or of a {@link branch} validator is an object inside {@link root}
 * itself (not a copy), so the messages can recognise `$defs` and anyOf branches by
 * identity.
 */
export interface StackSchemaValidator {
  /** The schema, as read from schemas/stack.schema.json. */
  readonly root: SchemaObject;
  /** Validates a whole stack document; its errors are on `validate.errors`. */
  readonly validate: ValidateFunction;
  /**
   * The validator of the subschema at JSON pointer `pointer` in {@link root} (every anyOf
   * and oneOf branch has one), or undefined for a pointer without one.
   */
  branch(pointer: string): ValidateFunction | undefined;
}
