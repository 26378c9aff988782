// Builds LoadedDocuments for the normaliser tests straight from YAML text (with real
// positions from the `yaml` package), so these tests do not depend on the loader.
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Node } from "yaml";
import type { DocPath, LoadedDocument } from "../../../src/stackfile/document.js";
import { normalise, type NormaliseResult } from "../../../src/stackfile/normalise.js";
import { checkStack, type SemanticCheckResult } from "../../../src/stackfile/semantic-checks.js";
import type { SourcePos } from "../../../src/model/types.js";

export const FILE = "/project/stack.yml";

export interface FixtureOptions {
  readonly workingDir?: string;
  readonly environment?: Record<string, string>;
}

/** A LoadedDocument for `text` as if loaded from /project/stack.yml with no interpolation. */
export function docFromYaml(text: string, options: FixtureOptions = {}): LoadedDocument {
  const lineCounter = new LineCounter();
  const yamlDoc = parseDocument(text, { lineCounter });
  const toPos = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: FILE, line, col };
  };
  const positionOf = (path: DocPath, key = false): SourcePos | undefined => {
    if (key && path.length > 0) {
      const parent = path.length === 1 ? yamlDoc.contents : yamlDoc.getIn(path.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find(
          (p) => isScalar(p.key) && p.key.value === path[path.length - 1],
        );
        const range = isNode(pair?.key) ? (pair.key as Node).range : undefined;
        if (range) return toPos(range[0]);
      }
    }
    const node = path.length === 0 ? yamlDoc.contents : yamlDoc.getIn(path, true);
    const range = isNode(node) ? node.range : undefined;
    return range ? toPos(range[0]) : undefined;
  };
  return {
    value: yamlDoc.toJS(),
    positionOf,
    files: [FILE],
    workingDir: options.workingDir ?? "/project",
    environment: options.environment ?? {},
    warnings: [],
  };
}

/** normalise() over YAML text, stack name `demo`. */
export function normaliseYaml(
  text: string,
  options: FixtureOptions = {},
  stack = "demo",
): NormaliseResult {
  return normalise(docFromYaml(text, options), stack);
}

/** normalise() then checkStack() over YAML text, as loadStack does. */
export function checkYaml(
  text: string,
  stack = "demo",
): SemanticCheckResult & { normaliseIssues: NormaliseResult["issues"] } {
  const doc = docFromYaml(text);
  const result = normalise(doc, stack);
  const checks = checkStack({
    spec: result.spec,
    locate: result.locate,
    positionOf: doc.positionOf,
    inactiveServices: result.inactiveServices,
    stackNameSource: "command line",
  });
  return { ...checks, normaliseIssues: result.issues };
}
