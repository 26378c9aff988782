import type { DocPath } from "../document.js";
import type { PortMode, PortSpec, Protocol } from "../../model/types.js";
import type { NormaliseContext } from "./normalise-context.js";
import { int, isObject, str } from "./values.js";

const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "sctp"];
const MODES: readonly PortMode[] = ["ingress", "host"];

interface PortRange {
  readonly start: number;
  readonly end: number;
}

function parseRange(text: string): PortRange | string {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) return `invalid port "${text}": expected a number or a range like 8080-8081`;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start < 1 || end > 65535 || start > 65535) return `port ${text} is out of range 1-65535`;
  if (end < start) return `invalid port range "${text}": end is lower than start`;
  return { start, end };
}

function protocolOf(text: string | undefined): Protocol | string {
  const p = (text ?? "tcp").toLowerCase();
  return (PROTOCOLS as readonly string[]).includes(p)
    ? (p as Protocol)
    : `unknown protocol "${text}": expected tcp, udp or sctp`;
}

/**
 * compose accepts any protocol name (`quic`); the engine publishes tcp, udp and sctp only.
 * Such a port is left out with a warning rather than failing the file compose accepts.
 */
function unsupportedProtocol(ctx: NormaliseContext, path: DocPath, text: string): boolean {
  if (/^[a-z][a-z0-9]*$/i.test(text)) {
    ctx.warn(
      path,
      `port protocol "${text}" is left out: the engine publishes only tcp, udp and sctp ports`,
    );
    return true;
  }
  return false;
}

/**
 * Expands a host/container range pair into one PortSpec per port. The ranges must have the
 * same length; a single container port with a host range (Docker's "pick a free host port in
 * this range") is not supported because a PortSpec publishes exactly one host port.
 */
function expand(
  ctx: NormaliseContext,
  path: DocPath,
  target: PortRange,
  published: PortRange | undefined,
  hostIp: string | undefined,
  protocol: Protocol,
  mode: PortMode,
): PortSpec[] {
  const count = target.end - target.start + 1;
  if (published && count === 1 && published.end > published.start) {
    // compose: the engine binds one free host port of the range to the container port.
    return [
      ctx.at<PortSpec>(
        {
          target: target.start,
          published: published.start,
          ...(hostIp !== undefined ? { hostIp } : {}),
          protocol,
          mode,
          publishedEnd: published.end,
        },
        path,
      ),
    ];
  }
  if (published && published.end - published.start + 1 !== count) {
    ctx.error(
      path,
      `published port range ${published.start}-${published.end} and target range ${target.start}-${target.end} have different lengths`,
    );
    return [];
  }
  const out: PortSpec[] = [];
  for (let i = 0; i < count; i++) {
    const spec: PortSpec = {
      target: target.start + i,
      ...(published ? { published: published.start + i } : {}),
      ...(hostIp !== undefined ? { hostIp } : {}),
      protocol,
      mode,
    };
    out.push(ctx.at(spec, path));
  }
  return out;
}

/**
 * Splits `[ip:][host:]container[/proto]`. IPv6 host addresses must be bracketed
 * (`[::1]:8080:80`); an unbracketed address with more colons is still accepted by taking
 * the last two fields as ports, as Docker's nat.ParsePortSpec does.
 */
function splitShort(
  text: string,
): { ip?: string; host?: string; container: string; proto?: string } | string {
  let rest = text.trim();
  let proto: string | undefined;
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let ip: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":")
      return `invalid port "${text}": expected [ipv6]:host:container`;
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const parts = rest.split(":");
    if (parts.length !== 2) return `invalid port "${text}": expected [ipv6]:host:container`;
    return {
      ip,
      host: parts[0] ?? "",
      container: parts[1] ?? "",
      ...(proto !== undefined ? { proto } : {}),
    };
  }
  const parts = rest.split(":");
  const withProto = proto !== undefined ? { proto } : {};
  if (parts.length === 1) return { container: parts[0] ?? "", ...withProto };
  if (parts.length === 2) return { host: parts[0] ?? "", container: parts[1] ?? "", ...withProto };
  const container = parts.pop() ?? "";
  const host = parts.pop() ?? "";
  return { ip: parts.join(":"), host, container, ...withProto };
}

/** Normalises one short-syntax port (`80`, `"8080:80"`, `"127.0.0.1::80/udp"`, ranges). */
function shortPort(ctx: NormaliseContext, path: DocPath, text: string): PortSpec[] {
  const split = splitShort(text);
  if (typeof split === "string") {
    ctx.error(path, split);
    return [];
  }
  const target = parseRange(split.container);
  if (typeof target === "string") {
    ctx.error(path, target);
    return [];
  }
  let published: PortRange | undefined;
  if (split.host !== undefined && split.host !== "") {
    const r = parseRange(split.host);
    if (typeof r === "string") {
      ctx.error(path, r);
      return [];
    }
    published = r;
  }
  const protocol = protocolOf(split.proto);
  if (!PROTOCOLS.includes(protocol as Protocol)) {
    if (!unsupportedProtocol(ctx, path, split.proto ?? "")) ctx.error(path, protocol);
    return [];
  }
  const hostIp = split.ip === undefined || split.ip === "" ? undefined : split.ip;
  return expand(ctx, path, target, published, hostIp, protocol as Protocol, "ingress");
}

/** Normalises one long-syntax port (`{target, published, host_ip, protocol, mode}`). */
function longPort(
  ctx: NormaliseContext,
  path: DocPath,
  value: Readonly<Record<string, unknown>>,
): PortSpec[] {
  const targetNumber = int(value["target"]);
  if (targetNumber === undefined) {
    ctx.error([...path, "target"], "a port needs a numeric target");
    return [];
  }
  const target = parseRange(String(targetNumber));
  if (typeof target === "string") {
    ctx.error([...path, "target"], target);
    return [];
  }
  let published: PortRange | undefined;
  const pub = value["published"];
  if (pub !== undefined && pub !== null && pub !== "") {
    const r = parseRange(String(pub));
    if (typeof r === "string") {
      ctx.error([...path, "published"], r);
      return [];
    }
    published = r;
  }
  const protocol = protocolOf(str(value["protocol"]));
  if (!PROTOCOLS.includes(protocol as Protocol)) {
    if (!unsupportedProtocol(ctx, [...path, "protocol"], str(value["protocol"]) ?? ""))
      ctx.error([...path, "protocol"], protocol);
    return [];
  }
  const mode = str(value["mode"]) ?? "ingress";
  if (!(MODES as readonly string[]).includes(mode)) {
    ctx.error([...path, "mode"], `unknown port mode "${mode}": expected ingress or host`);
    return [];
  }
  const hostIp = str(value["host_ip"]);
  return expand(
    ctx,
    path,
    target,
    published,
    hostIp === "" ? undefined : hostIp,
    protocol as Protocol,
    mode as PortMode,
  );
}

/**
 * Normalises a service's `ports:` list (every compose short form and the long form) to one
 * PortSpec per port, in file order, ranges expanded. Defaults: protocol tcp, mode ingress,
 * no host address (all addresses), no published port (the engine picks one). Problems are
 * recorded on `ctx` and the entry is skipped.
 */
export function normalisePorts(value: unknown, path: DocPath, ctx: NormaliseContext): PortSpec[] {
  if (!Array.isArray(value)) return [];
  const out: PortSpec[] = [];
  value.forEach((item, i) => {
    const itemPath = [...path, i];
    if (typeof item === "number") out.push(...shortPort(ctx, itemPath, String(item)));
    else if (typeof item === "string") out.push(...shortPort(ctx, itemPath, item));
    else if (isObject(item)) out.push(...longPort(ctx, itemPath, item));
    else ctx.error(itemPath, "expected a port string, number or mapping");
  });
  return out;
}
