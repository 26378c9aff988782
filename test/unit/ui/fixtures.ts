/** Fixtures for UI tests: a get-started-like stack at fixed times, and deploy operations. */
import type { ObservedContainer } from "../../../src/core/replica.js";
import type { Operation, Plan } from "../../../src/core/operation.js";
import type { ProgressEvent } from "../../../src/progress/events.js";
import {
  initialDeployState,
  reduceDeploy,
  type DeployState,
} from "../../../src/ui/deploy-view-model.js";

/** The clock every UI test reads: 2026-01-01T00:10:00Z. */
export const NOW = Date.parse("2026-01-01T00:10:00Z");

/** A running replica of `service` started 45 s before {@link NOW}; `extra` wins. */
export function replica(
  service: string,
  slot: number,
  extra: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: `${service}-${slot}-id`,
    name: `gsl_${service}.${slot}`,
    service,
    slot,
    configHash: "h",
    image: "stack-test/busybox:latest",
    state: "running",
    createdAt: "2026-01-01T00:00:00Z",
    startedAt: "2026-01-01T00:09:15Z",
    restartCount: 0,
    ports: [],
    ...extra,
  };
}

/** An operation for deploy UI tests. */
export const pull: Operation & { readonly image: string } = {
  text: "pull image redis:7",
  id: "image:redis",
  after: [],
  cause: "image missing",
  kind: "pull-image",
  image: "redis:7",
};
/** An operation for deploy UI tests. */
export const build: Operation & { readonly image: string } = {
  text: "build image realmb/microblog:latest",
  id: "image:realmb/microblog:latest:build",
  after: [],
  cause: "content changed",
  kind: "build-image",
  service: "microblog",
  image: "realmb/microblog:latest",
};
/** An operation for deploy UI tests. */
export const net: Operation & { readonly network: string; readonly name: string } = {
  text: "create network gsl_webnet",
  id: "network:webnet:create",
  after: [],
  cause: "not found",
  kind: "create-network",
  network: "webnet",
  name: "gsl_webnet",
};
/** An operation for deploy UI tests. */
export const web1: Operation & { readonly slot: number; readonly name: string } = {
  text: "create container gsl_web.1",
  id: "container:web.1:create",
  after: [net.id],
  cause: "scale up",
  kind: "create-container",
  service: "web",
  slot: 1,
  name: "gsl_web.1",
};
/** An operation for deploy UI tests. */
export const web2: Operation & { readonly slot: number; readonly name: string } = {
  text: "create container gsl_web.2",
  id: "container:web.2:create",
  after: [net.id],
  cause: "scale up",
  kind: "create-container",
  service: "web",
  slot: 2,
  name: "gsl_web.2",
};
/** An operation for deploy UI tests. */
export const waitDb: Operation & { readonly condition: string } = {
  text: "wait for db (service healthy)",
  id: "wait:db",
  after: [],
  cause: "dependency",
  kind: "wait-ready",
  service: "db",
  condition: "service_healthy",
};

/** A plan of stack `gsl`. */
export function plan(operations: readonly Operation[], warnings: readonly string[] = []): Plan {
  return { stack: "gsl", operations, warnings };
}

/** Folds `events` into deploy state, event i arriving at `start + i * 100` ms. */
export function replay(events: readonly ProgressEvent[], start = 1000): DeployState {
  return events.reduce((s, e, i) => reduceDeploy(s, e, start + i * 100), initialDeployState);
}
