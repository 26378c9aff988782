import { Box, Static, Text } from "ink";
import type { BuildLine, DeployView, LayerLine, OpLine, PullLine } from "./deploy-view-model.js";
import { Line } from "./Line.js";
import { Spinner } from "./Spinner.js";
import { fit, type Segment } from "./segments.js";

/** Props of {@link DeployScreen}. */
export interface DeployScreenProps {
  readonly view: DeployView;
  readonly width: number;
  readonly color: boolean;
  /** Spinner frame time; 0 freezes it (tests). */
  readonly spinnerMs?: number;
  /** The run is over (last frame): nothing is "still waiting" any more. */
  readonly final?: boolean;
}

/** How many log lines of a failed operation to show under it. */
const LOG_LINES = 10;

function finishedSegments(line: OpLine): Segment[] {
  switch (line.status) {
    case "done":
      return [
        { text: "✔ ", tone: "good" },
        { text: line.text },
        { text: ` (${line.time})`, dim: true },
      ];
    case "failed":
      return [
        { text: "✖ ", tone: "bad" },
        { text: line.text },
        { text: `: ${line.reason ?? "failed"}`, tone: "bad" },
      ];
    default:
      return [
        { text: "- ", dim: true },
        { text: line.text },
        { text: ` skipped: ${line.reason ?? ""}`, dim: true },
      ];
  }
}

/** `[=====>    ] 45%` in `width` columns. */
export function progressBar(fraction: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * inner);
  const bar =
    filled >= inner
      ? "=".repeat(inner)
      : `${"=".repeat(Math.max(0, filled - 1))}${filled > 0 ? ">" : ""}`;
  return `[${bar.padEnd(inner)}]`;
}

function pullSegments(p: PullLine, width: number): Segment[] {
  const name = fit(p.image, Math.min(32, Math.max(12, Math.floor(width / 3))));
  const label = `  ${p.direction} `;
  if (p.fraction === undefined)
    return [{ text: label }, { text: name }, { text: "  " }, { text: p.status, dim: true }];
  const rest = ` ${`${Math.round(p.fraction * 100)}%`.padStart(4)}  ${p.bytes ?? ""}`;
  // The bar takes what the name and the numbers leave, within sensible bounds.
  const barWidth = Math.max(8, Math.min(32, width - (7 + name.length + 2 + rest.length)));
  return [
    { text: label },
    { text: name },
    { text: "  " },
    { text: progressBar(p.fraction, barWidth), tone: "good" },
    { text: rest },
  ];
}

/** At most this many layer bars under one image (the engine moves three at a time by default). */
const LAYER_LINES = 4;

/** `      LAYERID  Downloading  [===>   ]  40%  1.2MiB / 3.0MiB`: one layer under its image. */
function layerSegments(l: LayerLine, width: number): Segment[] {
  const head = `      ${l.id}  ${l.status.padEnd(11)} `;
  if (l.fraction === undefined) return [{ text: head, dim: true }];
  const rest = ` ${`${Math.round(l.fraction * 100)}%`.padStart(4)}  ${l.bytes ?? ""}`;
  const barWidth = Math.max(8, Math.min(24, width - (head.length + rest.length)));
  return [
    { text: head, dim: true },
    { text: progressBar(l.fraction, barWidth), tone: "good" },
    { text: rest, dim: true },
  ];
}

/** `  build NAME  Step 3/13 : RUN ...`: a build shows its step, not a bar (no size to go by). */
function buildSegments(b: BuildLine, width: number): Segment[] {
  const name = fit(b.image, Math.min(32, Math.max(12, Math.floor(width / 3))));
  return [
    { text: "  build " },
    { text: name },
    { text: "  " },
    ...(b.step === "" ? [{ text: "starting", dim: true }] : [{ text: b.step }]),
  ];
}

/**
 * The deploy progress screen: finished operations scroll above (printed once through
 * `<Static>`, like a log), below them the live part: operations in progress with a spinner
 * and their elapsed time, pulls with progress bars, builds with their current step and the
 * last line it printed, readiness waits naming what is waited for, the count still waiting,
 * and finally the summary. Pure: props in, frame out.
 */
export function DeployScreen({
  view,
  width,
  color,
  spinnerMs = 80,
  final = false,
}: DeployScreenProps) {
  const pulls = view.pulls.filter((p) => !p.done);
  const builds = view.builds.filter((b) => !b.done);
  return (
    <Box flexDirection="column">
      <Static
        items={[
          ...view.notes.map((n, i) => ({ kind: "note" as const, key: `n${i}`, n })),
          ...view.finished.map((f, i) => ({ kind: "op" as const, key: `f${i}`, f })),
        ]}
      >
        {(item) =>
          item.kind === "note" ? (
            <Box key={item.key} flexDirection="column">
              <Line
                width={width}
                color={color}
                segments={
                  item.n.kind === "warning"
                    ? [{ text: "warning: ", tone: "warn" }, { text: item.n.text }]
                    : item.n.kind === "error"
                      ? [{ text: "error: ", tone: "bad" }, { text: item.n.text }]
                      : [{ text: item.n.text }]
                }
              />
              {(item.n.logs ?? []).slice(-LOG_LINES).map((l, j) => (
                <Line
                  key={j}
                  width={width}
                  color={color}
                  segments={[{ text: `    | ${l}`, dim: true }]}
                />
              ))}
            </Box>
          ) : (
            <Box key={item.key} flexDirection="column">
              <Line width={width} color={color} segments={finishedSegments(item.f)} />
              {item.f.logs.slice(-LOG_LINES).map((l, j) => (
                <Line
                  key={j}
                  width={width}
                  color={color}
                  segments={[{ text: `    | ${l}`, dim: true }]}
                />
              ))}
            </Box>
          )
        }
      </Static>
      {view.upToDate && (
        <Line
          width={width}
          color={color}
          segments={[{ text: `stack ${view.stack ?? ""} is up to date`, tone: "good" }]}
        />
      )}
      {view.working.map((w) => (
        <Box key={w.id}>
          <Spinner color={color} intervalMs={spinnerMs} />
          <Text> </Text>
          <Line
            width={width - 2}
            color={color}
            segments={[{ text: w.text }, { text: ` (${w.time})`, dim: true }]}
          />
        </Box>
      ))}
      {pulls.map((p) => (
        <Box key={`${p.direction}:${p.image}`} flexDirection="column">
          <Line width={width} color={color} segments={pullSegments(p, width)} />
          {p.layers.slice(0, LAYER_LINES).map((l) => (
            <Line key={l.id} width={width} color={color} segments={layerSegments(l, width)} />
          ))}
        </Box>
      ))}
      {builds.map((b) => (
        <Box key={`b:${b.image}`} flexDirection="column">
          <Line width={width} color={color} segments={buildSegments(b, width)} />
          {b.output !== undefined && (
            <Line
              width={width}
              color={color}
              segments={[{ text: `        ${b.output}`, dim: true }]}
            />
          )}
        </Box>
      ))}
      {/* Waits end without an event of their own; once the run is over none is still going. */}
      {!final &&
        view.waits.map((w) => (
          <Line
            key={`w:${w.target}`}
            width={width}
            color={color}
            segments={[
              { text: "  waiting for ", dim: true },
              { text: w.target, bold: true },
              { text: ` ${w.what}`, dim: true },
            ]}
          />
        ))}
      {!final && view.summary === undefined && view.waitingCount > 0 && (
        <Line
          width={width}
          color={color}
          segments={[{ text: `  ${view.waitingCount} more waiting`, dim: true }]}
        />
      )}
      {view.summary !== undefined && (
        <Line
          width={width}
          color={color}
          segments={[
            { text: view.summary.text, tone: view.summary.ok ? "good" : "bad", bold: true },
          ]}
        />
      )}
    </Box>
  );
}
