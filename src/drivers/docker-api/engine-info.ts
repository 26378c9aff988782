import type Dockerode from "dockerode";
import type { EngineInfo } from "../../core/driver.js";
import { toEngineError } from "./classify-error.js";

/** Reads version and swarm role of the engine behind `docker`; both drivers ping this way. */
export async function readEngineInfo(docker: Dockerode, address: string): Promise<EngineInfo> {
  const call = async <T>(context: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toEngineError(err, context, address);
    }
  };
  const [version, info] = await Promise.all([
    call("read engine version", () => docker.version()),
    call(
      "read engine info",
      () => docker.info() as Promise<{ Swarm?: { ControlAvailable?: boolean } }>,
    ),
  ]);
  return {
    address,
    serverVersion: version.Version,
    apiVersion: version.ApiVersion,
    swarmManager: info.Swarm?.ControlAvailable === true,
  };
}
