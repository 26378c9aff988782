import { Box } from "ink";
import { Line } from "./Line.js";
import type { PsView, ReplicaView, ServiceView } from "./ps-view-model.js";
import { fit, type Segment } from "./segments.js";

/** Props of {@link PsScreen}. */
export interface PsScreenProps {
  readonly view: PsView;
  /** Columns to lay out for; every line is clipped to it. */
  readonly width: number;
  /** False drops colours and styles (NO_COLOR, FORCE_COLOR=0). */
  readonly color: boolean;
  /** Show the CPU and MEMORY columns (`--stats`). */
  readonly stats: boolean;
  /** False for a one-shot frame (no "q to quit" hint). */
  readonly live?: boolean;
}

const GAP = "  ";
const STATE_WIDTH = 13; // "exited (137)" plus a space
const UPTIME_WIDTH = 6;
const RESTARTS_WIDTH = 8;
const CPU_WIDTH = 6;
const MEMORY_WIDTH = 19; // "123.4MiB / 1.95GiB"
const INDENT = "  ";

function replicaLabel(service: string, r: ReplicaView): string {
  return `${service}.${r.slot}`;
}

function nameWidth(services: readonly ServiceView[]): number {
  let width = "REPLICA".length;
  for (const s of services)
    for (const r of s.replicas) width = Math.max(width, replicaLabel(s.name, r).length);
  return Math.min(width, 24);
}

/** Width of the NODE column: 0 (no column) unless some replica runs on a named swarm node. */
function nodeWidth(services: readonly ServiceView[]): number {
  let width = 0;
  for (const s of services)
    for (const r of s.replicas) if (r.node !== undefined) width = Math.max(width, r.node.length);
  return width === 0 ? 0 : Math.min(Math.max(width, "NODE".length), 20);
}

function columns(
  nameCol: number,
  nodeCol: number,
  stats: boolean,
): { text: string; width: number }[] {
  return [
    { text: "REPLICA", width: nameCol },
    ...(nodeCol > 0 ? [{ text: "NODE", width: nodeCol }] : []),
    { text: "STATE", width: STATE_WIDTH },
    { text: "UPTIME", width: UPTIME_WIDTH },
    { text: "RESTARTS", width: RESTARTS_WIDTH },
    ...(stats
      ? [
          { text: "CPU", width: CPU_WIDTH },
          { text: "MEMORY", width: MEMORY_WIDTH },
        ]
      : []),
  ];
}

function headerSegments(nameCol: number, nodeCol: number, stats: boolean): Segment[] {
  const cells = columns(nameCol, nodeCol, stats).map((c) => fit(c.text, c.width));
  return [{ text: `${INDENT}${[...cells, "ERROR"].join(GAP)}`, dim: true }];
}

function serviceSegments(s: ServiceView): Segment[] {
  return [
    { text: s.name, bold: true },
    { text: GAP },
    { text: `${s.running}/${s.desired}`, tone: s.tone, bold: true },
    { text: GAP },
    { text: s.image },
    ...(s.ports.length > 0 ? [{ text: GAP }, { text: s.ports.join(", "), dim: true }] : []),
  ];
}

function replicaSegments(
  service: string,
  r: ReplicaView,
  nameCol: number,
  nodeCol: number,
  stats: boolean,
): Segment[] {
  const segments: Segment[] = [
    { text: INDENT },
    { text: fit(replicaLabel(service, r), nameCol) },
    { text: GAP },
    ...(nodeCol > 0 ? [{ text: fit(r.node ?? "", nodeCol) }, { text: GAP }] : []),
    { text: fit(r.stateText, STATE_WIDTH), tone: r.tone },
    { text: GAP },
    { text: fit(r.uptime, UPTIME_WIDTH) },
    { text: GAP },
    {
      text: fit(String(r.restarts), RESTARTS_WIDTH),
      ...(r.restarts > 0 && { tone: "warn" as const }),
    },
  ];
  if (stats) {
    segments.push(
      { text: GAP },
      { text: fit(r.cpu ?? "-", CPU_WIDTH) },
      { text: GAP },
      { text: fit(r.memory ?? "-", MEMORY_WIDTH) },
    );
  }
  return segments;
}

/** Below this many free columns the error moves to its own line instead of being cut short. */
const MIN_INLINE_ERROR = 24;

function replicaLines(
  service: string,
  r: ReplicaView,
  nameCol: number,
  nodeCol: number,
  stats: boolean,
  width: number,
): Segment[][] {
  const segments = replicaSegments(service, r, nameCol, nodeCol, stats);
  if (r.error === undefined) return [segments];
  const used = segments.reduce((n, s) => n + s.text.length, 0) + GAP.length;
  if (width - used >= Math.min(MIN_INLINE_ERROR, r.error.length)) {
    return [[...segments, { text: GAP }, { text: r.error, tone: "bad" }]];
  }
  return [segments, [{ text: `${INDENT}${INDENT}error: ` }, { text: r.error, tone: "bad" }]];
}

/** How the rows of a set of services are laid out: one column width for all of them. */
export interface PsLayout {
  readonly header: Segment[];
  service(s: ServiceView): Segment[];
  /** One line per replica, its last error inline (clipped by the line). */
  replica(service: string, r: ReplicaView): Segment[];
}

/**
 * The column layout of `services` (the console draws only its visible rows with it, so the
 * columns stay put while scrolling).
 */
export function psLayout(services: readonly ServiceView[], stats: boolean): PsLayout {
  const nameCol = nameWidth(services);
  const nodeCol = nodeWidth(services);
  return {
    header: headerSegments(nameCol, nodeCol, stats),
    service: serviceSegments,
    replica: (service, r) => {
      const segments = replicaSegments(service, r, nameCol, nodeCol, stats);
      return r.error === undefined
        ? segments
        : [...segments, { text: GAP }, { text: r.error, tone: "bad" }];
    },
  };
}

/**
 * The `stack ps` screen: a title with the connection state, then each service with its
 * replicas running/desired, image and published ports, and under it one line per replica
 * (slot, node on a swarm, state, uptime, restarts, optional CPU and memory, last error).
 * Every line is
 * clipped to `width`. Pure: props in, frame out.
 */
export function PsScreen({ view, width, color, stats, live = true }: PsScreenProps) {
  const nameCol = nameWidth(view.services);
  const nodeCol = nodeWidth(view.services);
  const title: Segment[] = [
    { text: "stack ", dim: true },
    { text: view.stack, bold: true },
    { text: GAP },
    { text: view.status, tone: view.statusTone },
    ...(live ? [{ text: GAP }, { text: "(q to quit)", dim: true }] : []),
  ];
  const lines: { key: string; segments: Segment[] }[] = [{ key: "title", segments: title }];
  if (view.problem !== undefined) {
    lines.push({
      key: "problem",
      segments: [{ text: `cannot read the stack: ${view.problem}`, tone: "bad" }],
    });
  }
  lines.push({ key: "gap", segments: [] });
  if (!view.loaded) {
    lines.push({ key: "empty", segments: [{ text: "reading the stack...", dim: true }] });
  } else if (view.services.length === 0) {
    lines.push({
      key: "empty",
      segments: [
        { text: `no replicas of stack ${view.stack} (yet): waiting for a deploy`, dim: true },
      ],
    });
  } else {
    lines.push({ key: "header", segments: headerSegments(nameCol, nodeCol, stats) });
    for (const s of view.services) {
      lines.push({ key: `s:${s.name}`, segments: serviceSegments(s) });
      for (const r of s.replicas) {
        replicaLines(s.name, r, nameCol, nodeCol, stats, width).forEach((segments, i) =>
          lines.push({ key: `r:${r.id}:${i}`, segments }),
        );
      }
    }
  }
  return (
    <Box flexDirection="column">
      {lines.map((l) => (
        <Line key={l.key} segments={l.segments} width={width} color={color} />
      ))}
    </Box>
  );
}
