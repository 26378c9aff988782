/**
 * Config hashes of the examples, pinned. A hash that changes recreates every replica of a
 * user's stack on the next deploy after an upgrade of `stack`, so a change here must be a
 * deliberate one (a new CONFIG_HASH_VERSION), never a side effect of moving code around.
 * Build contexts are absolute paths, so services with `build:` are hashed with their context
 * set to a fixed path: the hash function is pinned, not the checkout's location.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadStack } from "../../../src/stackfile/load-stack.js";
import { withContextHashes } from "../../../src/stackfile/build-context.js";
import { networkConfigHash, serviceConfigHash } from "../../../src/model/config-hash.js";
import { ingressConfigHash } from "../../../src/model/ingress.js";
import { swarmServiceSpec } from "../../../src/drivers/swarm/service-spec.js";
import type { StackSpec } from "../../../src/model/types.js";

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), "../../../examples");

async function example(name: string): Promise<StackSpec> {
  const file = `${EXAMPLES}/${name}/stack.yml`;
  const { spec } = await loadStack({ files: [file], envFiles: [], cwd: dirname(file), env: {} });
  const hashed = await withContextHashes(spec);
  const services = Object.fromEntries(
    Object.entries(hashed.services).map(([key, s]) => [
      key,
      s.build === undefined ? s : { ...s, build: { ...s.build, context: `/examples/${name}/app` } },
    ]),
  );
  return { ...hashed, services };
}

function hashes(spec: StackSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of Object.values(spec.services)) {
    out[`docker ${s.name}`] = serviceConfigHash(s);
    out[`swarm ${s.name}`] = swarmServiceSpec({
      spec,
      service: s,
      objects: { secrets: {}, configs: {} },
      stackVersion: "pinned",
    }).configHash;
  }
  for (const n of Object.values(spec.networks)) out[`network ${n.key}`] = networkConfigHash(n);
  out["ingress"] = ingressConfigHash(spec);
  return out;
}

describe("config hashes of the examples", () => {
  it("hello", async () => {
    expect(hashes(await example("hello"))).toEqual({
      "docker web": "v1:1a0989b21a8dd84cd3a4767e914e45fb492bf082e8939104f2a26e783f6fca7c",
      "swarm web": "s1:dd4d306ebfd6c8bb85db4ee95b981a49ed08e3590eb68d9cce484aaba2bc476b",
      "docker worker": "v1:f31e01723e14082a5dcbf9113bf627dfd3220f3dbe70cc15408d0019b61da010",
      "swarm worker": "s1:446ca8502d97ec453d32e29d79ac0320ca94e83aa6cb32eb46e04a20003fa787",
      "network default": "v1:420eeba08f4edd962465dc0bd417e2e568994eae9486f2ae37e106bb36e692cf",
      ingress: "ingress-v6:a58a867c06aaee957827f8a1defa84ea1f6d95c448ba50da42b06c8faddcddf5",
    });
  });

  it("getstartedlab", async () => {
    expect(hashes(await example("getstartedlab"))).toEqual({
      "docker redis": "v1:ab053ed8d4eb2dfca96a2e59de8f6b944ef286dd9a44535733dd214989f543df",
      "swarm redis": "s1:a41183338230f9f811bcdbae9e069b71a4e3dae514eb4caed4a57f043d91e72c",
      "docker web": "v1:88d0c2e32cae7129e311ec48e1b6bff6d6d98583a504fc7eb5ece05d758c4ec8",
      "swarm web": "s1:df758f640a35e53e87c440a3f2ff274351027dba0a98450f903dca47431f8328",
      "network webnet": "v1:ea889be3ec3c125066291a38f8492bcdd6020734e0dde3409f36679c37af6d63",
      ingress: "ingress-v6:7233e3c8f143ccd3a8966415bfcc34619332b061f1db39d519db8c7946262b3b",
    });
  });

  it("microblog", async () => {
    expect(hashes(await example("microblog"))).toEqual({
      "docker elasticsearch": "v1:9930fff5cb026ec6dd5a24321bbe569107fd5e3bfd9e2e10227113812083324c",
      "swarm elasticsearch": "s1:68ca65ff8a8b5b610a8db45a1319d6bb82008f6e11f3f0883dfd66658916e93e",
      "docker microblog": "v1:68d54662fabbc3dd625138cd2b064167b1c94bcea7c6f614449b513e7d98ae2d",
      "swarm microblog": "s1:0cd805d2d9c53c63a83b3407ebd76a50723c30574dbf7fd4d2078a8e44ddbb85",
      "docker mysql": "v1:5eadc65058b1052bdd108dfd80fe53c9e07522e6687e133ed5dcfbd7574cf6c5",
      "swarm mysql": "s1:f9a7d5275251f84d81db504814a56cf0bcc1dea961c923339bf93eb9357e09c9",
      "network default": "v1:0fc606b8cf92fe815b27902204f889e12d7b08c6be124cf21194bfce87e788e7",
      ingress: "ingress-v6:a58a867c06aaee957827f8a1defa84ea1f6d95c448ba50da42b06c8faddcddf5",
    });
  });
});
