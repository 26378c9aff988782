import { Ajv2020 } from "ajv/dist/2020.js";
import {
  readStackSchema,
  STACK_SCHEMA_AJV_OPTIONS,
  type StackSchemaValidator,
} from "./stack-schema.js";

/**
 * The stack schema compiled by ajv now, in this process: read from schemas/, compiled with
 * {@link STACK_SCHEMA_AJV_OPTIONS}, each branch validator compiled on first use. This is
 * the source tree's validator (the unit tests run it); `npm run build` replaces this module
 * in dist/ and in the bundled CLI with ajv's standalone code for the same schema and
 * options (scripts/standalone-stack-schema.ts), which exports the same function and spends
 * nothing on compiling at run time.
 */
export function compileStackSchema(): StackSchemaValidator {
  const root = readStackSchema();
  const id = String(root["$id"]);
  const ajv = new Ajv2020({ ...STACK_SCHEMA_AJV_OPTIONS });
  const validate = ajv.compile(root);
  return { root, validate, branch: (pointer) => ajv.getSchema(`${id}#${pointer}`) };
}
