import { Box } from "ink";
import type { ReplicaSummary } from "../core/driver.js";
import { Line } from "./Line.js";
import { psLayout } from "./PsScreen.js";
import {
  CONSOLE_KEYS,
  filterServices,
  listHeight,
  paneHeight,
  type ConsolePane,
  type ConsoleState,
} from "./console-model.js";
import type { PsView } from "./ps-view-model.js";
import type { Segment } from "./segments.js";

/** Props of {@link ConsoleScreen}. */
export interface ConsoleScreenProps {
  readonly state: ConsoleState;
  /** `psView(state.ps, now)`: the rows as they read now (uptimes, countdowns). */
  readonly view: PsView;
  readonly width: number;
  readonly color: boolean;
  readonly stats: boolean;
}

const GAP = "  ";

interface ScreenLine {
  readonly key: string;
  readonly segments: Segment[];
}

/** The cursor row: inverse video, or a `>` marker where styles are off (NO_COLOR). */
function selected(segments: Segment[], color: boolean): Segment[] {
  if (color) return segments.map((s) => ({ ...s, inverse: true }));
  const [first, ...rest] = segments;
  if (first !== undefined && first.text.startsWith("  "))
    return [{ ...first, text: `> ${first.text.slice(2)}` }, ...rest];
  return [{ text: "> " }, ...segments];
}

function titleLine(state: ConsoleState, view: PsView): ScreenLine {
  const filter =
    state.filter === "" ? [] : [{ text: GAP }, { text: `/${state.filter}`, dim: true }];
  return {
    key: "title",
    segments: [
      { text: "stack ", dim: true },
      { text: view.stack, bold: true },
      { text: GAP },
      { text: view.status, tone: view.statusTone },
      ...filter,
    ],
  };
}

function listLines(
  state: ConsoleState,
  view: PsView,
  stats: boolean,
  color: boolean,
): ScreenLine[] {
  const lines: ScreenLine[] = [];
  if (view.problem !== undefined)
    lines.push({
      key: "problem",
      segments: [{ text: `cannot read the stack: ${view.problem}`, tone: "bad" }],
    });
  lines.push({ key: "gap", segments: [] });
  if (!view.loaded) {
    lines.push({ key: "empty", segments: [{ text: "reading the stack...", dim: true }] });
    return lines;
  }
  if (view.services.length === 0) {
    lines.push({
      key: "empty",
      segments: [
        { text: `no replicas of stack ${view.stack} (yet): waiting for a deploy`, dim: true },
      ],
    });
    return lines;
  }
  const services = filterServices(view.services, state.filter);
  // The columns are laid out for every service, so they do not move while scrolling.
  const layout = psLayout(view.services, stats);
  lines.push({ key: "header", segments: layout.header });
  const first = state.top;
  const last = first + listHeight(state);
  // Virtualised: segments are built only for the rows on screen.
  let index = 0;
  for (const s of services) {
    const rowCount = 1 + s.replicas.length;
    if (index + rowCount <= first) {
      index += rowCount;
      continue;
    }
    if (index >= last) break;
    if (index >= first) {
      const key = `s:${s.name}`;
      const segments = layout.service(s);
      lines.push({ key, segments: key === state.cursor ? selected(segments, color) : segments });
    }
    index += 1;
    for (const r of s.replicas) {
      if (index >= last) break;
      if (index >= first) {
        const key = `r:${r.id}`;
        const segments = layout.replica(s.name, r);
        lines.push({ key, segments: key === state.cursor ? selected(segments, color) : segments });
      }
      index += 1;
    }
  }
  if (services.length === 0)
    lines.push({
      key: "nomatch",
      segments: [{ text: `no row matches "${state.filter}" (Esc clears the filter)`, dim: true }],
    });
  return lines;
}

function logLines(pane: Extract<ConsolePane, { kind: "logs" }>, height: number): ScreenLine[] {
  const who = pane.target.kind === "replica" ? pane.target.name : `service ${pane.target.service}`;
  const mode = pane.follow ? "following" : `scrolled back ${pane.scroll} lines (f follows)`;
  const lines: ScreenLine[] = [
    {
      key: "logs-title",
      segments: [
        { text: "logs of ", dim: true },
        { text: who, bold: true },
        { text: GAP },
        { text: pane.ended === undefined ? mode : `ended: ${pane.ended}`, dim: true },
      ],
    },
  ];
  const room = height - 1;
  const end = pane.lines.length - pane.scroll;
  const start = Math.max(0, end - room);
  if (pane.lines.length === 0)
    lines.push({ key: "l:none", segments: [{ text: "waiting for log lines...", dim: true }] });
  pane.lines
    .slice(start, end)
    .forEach((text, i) => lines.push({ key: `l:${start + i}`, segments: [{ text }] }));
  return lines;
}

/** The inspect summary as lines; values of the environment are never part of it. */
export function summaryLines(summary: ReplicaSummary): string[] {
  const out = [`image    ${summary.image}`, `command  ${summary.command.join(" ")}`];
  out.push(`env      ${summary.envNames.length === 0 ? "(none)" : summary.envNames.join(", ")}`);
  out.push(`mounts   ${summary.mounts.length === 0 ? "(none)" : summary.mounts[0]}`);
  for (const m of summary.mounts.slice(1)) out.push(`         ${m}`);
  out.push(`ports    ${summary.ports.length === 0 ? "(none)" : summary.ports.join(", ")}`);
  out.push(`limits   ${summary.limits.length === 0 ? "(none)" : summary.limits.join(", ")}`);
  if (summary.health.length === 0) out.push("health   (no healthcheck)");
  else
    for (const [i, h] of summary.health.entries())
      out.push(
        `${i === 0 ? "health   " : "         "}${h.end.slice(0, 19)}  exit ${h.exitCode}  ${h.output.replace(/\s+/g, " ")}`,
      );
  return out;
}

/** `text` cut into lines of `width` characters, so a long reason is read whole. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out;
}

function inspectLines(
  pane: Extract<ConsolePane, { kind: "inspect" }>,
  height: number,
  width: number,
): ScreenLine[] {
  const lines: ScreenLine[] = [
    {
      key: "i-title",
      segments: [
        { text: "inspect ", dim: true },
        { text: pane.replica, bold: true },
      ],
    },
  ];
  if (pane.error !== undefined)
    wrap(pane.error, width).forEach((text, i) =>
      lines.push({ key: `i-error:${i}`, segments: [{ text, tone: "bad" }] }),
    );
  else if (pane.summary === undefined)
    lines.push({ key: "i-wait", segments: [{ text: "reading...", dim: true }] });
  else
    summaryLines(pane.summary)
      .slice(pane.scroll, pane.scroll + height - 1)
      .forEach((text, i) => lines.push({ key: `i:${i}`, segments: [{ text }] }));
  return lines;
}

function helpLines(): ScreenLine[] {
  const width = Math.max(...CONSOLE_KEYS.map(([k]) => k.length));
  return [
    { key: "h-title", segments: [{ text: "keys", bold: true }] },
    ...CONSOLE_KEYS.map(([k, what]) => ({
      key: `h:${k}`,
      segments: [{ text: k.padEnd(width), bold: true }, { text: `${GAP}${what}` }],
    })),
  ];
}

/** The help line at the bottom for the pane on screen. */
function hintLine(state: ConsoleState): Segment[] {
  if (state.filterDraft !== undefined)
    return [{ text: "Enter apply  Esc cancel  Backspace delete", dim: true }];
  switch (state.pane.kind) {
    case "list":
      return [
        {
          // `?` and `q` first: a narrow terminal cuts the end of the line, never these.
          text: "? help  q quit  ↑↓ move  / filter  Enter logs  l service logs  r restart  s stop/start  x shell  + - scale  d inspect",
          dim: true,
        },
      ];
    case "logs":
      return [{ text: "↑↓ PgUp PgDn scroll  f follow  Esc back", dim: true }];
    case "inspect":
      return [{ text: "↑↓ scroll  Esc back", dim: true }];
    case "help":
      return [{ text: "Esc back", dim: true }];
  }
}

/**
 * The status line; a message longer than the terminal is wide goes on over a second line
 * (the layout keeps one line spare for it), so a failure's reason is not cut off.
 */
function statusLines(state: ConsoleState, width: number): ScreenLine[] {
  if (state.filterDraft !== undefined)
    return [{ key: "status", segments: [{ text: `/${state.filterDraft}` }, { text: "▏" }] }];
  if (state.status === undefined) return [{ key: "status", segments: [] }];
  const { text, tone } = state.status;
  if (text.length <= width) return [{ key: "status", segments: [{ text, tone }] }];
  return [
    { key: "status", segments: [{ text: text.slice(0, width), tone }] },
    { key: "status-more", segments: [{ text: text.slice(width), tone }] },
  ];
}

/**
 * The `stack ps` console: the live list with a cursor (only the rows that fit are drawn), or
 * a logs, inspect or help pane; then the status line (progress, results, confirmations, the
 * filter being typed) and the help line. Pure: props in, frame out.
 */
export function ConsoleScreen({ state, view, width, color, stats }: ConsoleScreenProps) {
  const pane = state.pane;
  const body: ScreenLine[] =
    pane.kind === "list"
      ? listLines(state, view, stats, color)
      : pane.kind === "logs"
        ? logLines(pane, paneHeight(state))
        : pane.kind === "inspect"
          ? inspectLines(pane, paneHeight(state), width)
          : helpLines();
  const lines = [
    ...(pane.kind === "list" ? [titleLine(state, view)] : []),
    ...body,
    ...statusLines(state, width),
    { key: "hint", segments: hintLine(state) },
  ];
  return (
    <Box flexDirection="column">
      {lines.map((l) => (
        <Line key={l.key} segments={l.segments} width={width} color={color} />
      ))}
    </Box>
  );
}
