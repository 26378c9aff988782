/** Engine object names for stack objects. Swarm shows tasks the same way (`NAME_SERVICE.SLOT`). */

/** `<stack>_<key>`: default engine name of a network, volume, secret or config. */
export function scopedName(stack: string, key: string): string {
  return `${stack}_${key}`;
}

/** `<stack>_<service>.<slot>`: the name of a replica container. */
export function containerName(stack: string, service: string, slot: number): string {
  return `${stack}_${service}.${slot}`;
}

/**
 * Name a replacement replica has while its predecessor still holds the slot name
 * (rolling update in progress); the suffix is the first 8 hex digits of its config hash.
 */
export function replacementName(
  stack: string,
  service: string,
  slot: number,
  hash: string,
): string {
  return `${containerName(stack, service, slot)}.${hash.replace(/^[^:]*:/, "").slice(0, 8)}`;
}

/** Stack names follow compose project names: lowercase letters, digits, `_` and `-`, starting alphanumeric. */
export const STACK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Orders two names by UTF-16 code unit, the same on every machine. (`localeCompare` orders
 * by the process's locale, and its first call costs ~12 ms of ICU set-up, a tenth of what
 * `stack ls` spends on its own work.)
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Image name of a service that has only `build:`: compose's `<project>-<service>`. */
export function builtImageName(stack: string, service: string): string {
  return `${stack}-${service}`;
}
