import type { Driver, ImageRow } from "../core/driver.js";
import { NotFoundError } from "../core/errors.js";

/** The images the stack's containers run, by container; NotFoundError for an empty stack. */
export async function stackImages(driver: Driver, stack: string): Promise<ImageRow[]> {
  const rows = [...(await driver.images(stack))];
  if (rows.length === 0)
    throw new NotFoundError(
      `stack ${stack} has no containers on the engine at ${driver.address} (not deployed? stack ls lists the stacks)`,
    );
  return rows;
}
