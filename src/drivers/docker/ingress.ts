import { EngineError, InterruptedError } from "../../core/errors.js";
import { sleep } from "../../core/retry-policy.js";
import { ingressRoutes } from "../../model/ingress.js";
import type { StackSpec } from "../../model/types.js";
import type { ContainerEngine } from "./container-engine.js";
import { INGRESS_CHECK_INTERVAL_MS, IngressHealth, ingressBackends } from "./ingress-config.js";

/** Longest wait for a new ingress to see a healthy replica behind every port. */
const INGRESS_READY_TIMEOUT_MS = 60_000;

/**
 * Creates and starts the stack's ingress proxy `name` and resolves once it serves every
 * route (see {@link waitIngressServing}); returns its id. A proxy that does not come up is
 * removed again, so it holds neither the name nor the host ports; when `signal` aborts
 * (Ctrl-C) the wait ends at once with `InterruptedError` and the proxy is removed too.
 */
export async function startIngress(
  engine: ContainerEngine,
  spec: StackSpec,
  name: string,
  configHash: string,
  signal?: AbortSignal,
): Promise<string> {
  const id = await engine.createIngressContainer(spec, name, configHash);
  try {
    await engine.startContainer(id);
    await waitIngressServing(engine, id, ingressBackends(ingressRoutes(spec)), name, signal);
  } catch (err) {
    await engine.removeContainer(id).catch(() => undefined);
    throw err;
  }
  return id;
}

/**
 * Resolves once HAProxy's log shows every backend with a server up, and still so after the
 * first round of health checks (a fresh replica not listening yet is marked down then),
 * so a deploy that returns has a port that answers. Fails after INGRESS_READY_TIMEOUT_MS
 * naming the backends still without a replica; throws `InterruptedError` when `signal`
 * aborts. The log follow carries its own signal into the request: a proxy that has logged
 * nothing yet gets no response headers from Podman, and only an aborted request ends that.
 */
async function waitIngressServing(
  engine: ContainerEngine,
  id: string,
  backends: readonly string[],
  name: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const health = new IngressHealth(backends);
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  signal?.addEventListener("abort", stop, { once: true });
  const reading = (async () => {
    for await (const line of engine.logs(id, { follow: true, signal: abort.signal }))
      health.observe(line.text);
  })().catch(() => undefined);
  const started = Date.now();
  try {
    while (Date.now() - started < INGRESS_READY_TIMEOUT_MS) {
      await sleep(250, abort.signal);
      const settled = Date.now() - started > 2 * INGRESS_CHECK_INTERVAL_MS;
      if (settled && health.waiting().length === 0) return;
    }
  } catch (error) {
    if (error instanceof InterruptedError)
      throw new InterruptedError(`interrupted starting ingress ${name}`);
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
    abort.abort();
    await reading;
  }
  throw new EngineError(
    "invalid",
    `ingress ${name}: no replica answered health checks within ${INGRESS_READY_TIMEOUT_MS / 1000} s for ${health.waiting().join(", ")}`,
  );
}
