/**
 * Settings compose passes straight to the engine (devices, security_opt, dns_search, ...),
 * deployed from a stack file on a real engine: each one is checked in the container's
 * inspect data and, where the container can show it, from inside the container.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deployStack } from "../../../src/api/deploy.js";
import { DockerDriver } from "../../../src/drivers/docker/docker-driver.js";
import type { DockerEngine } from "../../../src/drivers/docker/docker-engine.js";
import { LABELS } from "../../../src/drivers/docker-api/labels.js";
import type { ProgressSink } from "../../../src/progress/events.js";
import { cleanupStack, rawDocker, requireEngine, TEST_IMAGE, uniqueStackName } from "./helpers.js";

const engine: DockerEngine | undefined = await requireEngine();
const docker = rawDocker();
const quiet: ProgressSink = { emit: () => undefined, close: async () => undefined };

async function execIn(id: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  // Multiplexed stream: 8-byte frame headers before each payload.
  const all = Buffer.concat(chunks);
  let out = "";
  for (let i = 0; i + 8 <= all.length;) {
    const size = all.readUInt32BE(i + 4);
    out += all.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
}

describe.skipIf(engine === undefined)("compose settings on a real engine", () => {
  const stack = uniqueStackName("settings");
  afterAll(() => cleanupStack(stack));

  it("creates the container with each setting, visible from inside where possible", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-settings-"));
    const base = 40000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(dir, "web.labels"), "from.file=yes\n");
    writeFileSync(
      join(dir, "stack.yml"),
      `services:
  web:
    image: ${TEST_IMAGE}
    command: [sleep, "3600"]
    restart: unless-stopped
    label_file: ./web.labels
    devices: ["/dev/null:/dev/mynull:rwm"]
    device_cgroup_rules: ["c 1:3 mr"]
    security_opt: ["no-new-privileges:true"]
    dns_search: [example.com]
    dns_opt: ["ndots:2"]
    domainname: example.com
    ipc: shareable
    mac_address: "02:42:ac:11:00:42"
    extra_hosts: ["multi=10.1.2.3,10.1.2.4"]
    ports: ["127.0.0.1:${base}-${base + 5}:80"]
`,
    );
    const result = await deployStack({
      files: [join(dir, "stack.yml")],
      envFiles: [],
      cwd: dir,
      env: {},
      stack: stack,
      driver: () => new DockerDriver(engine!),
      sink: quiet,
      parallel: 2,
    });
    expect(result.ok).toBe(true);
    const [listed] = await docker.listContainers({
      filters: { label: [`${LABELS.stack}=${stack}`, `${LABELS.service}=web`] },
    });
    expect(listed).toBeDefined();
    const info = await docker.getContainer(listed!.Id).inspect();
    expect(info.Config.Labels["from.file"]).toBe("yes");
    expect(info.Config.Domainname).toBe("example.com");
    expect(info.HostConfig).toMatchObject({
      RestartPolicy: { Name: "unless-stopped" },
      Devices: [
        { PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rwm" },
      ],
      DeviceCgroupRules: ["c 1:3 mr"],
      SecurityOpt: ["no-new-privileges:true"],
      DnsSearch: ["example.com"],
      DnsOptions: ["ndots:2"],
      IpcMode: "shareable",
    });
    const binding = info.HostConfig.PortBindings?.["80/tcp"]?.[0];
    expect(binding?.HostPort).toBe(`${base}-${base + 5}`);
    const published = Number(info.NetworkSettings.Ports?.["80/tcp"]?.[0]?.HostPort);
    expect(published).toBeGreaterThanOrEqual(base);
    expect(published).toBeLessThanOrEqual(base + 5);

    const id = listed!.Id;
    expect(await execIn(id, ["ls", "/dev/mynull"])).toContain("/dev/mynull");
    const resolv = await execIn(id, ["cat", "/etc/resolv.conf"]);
    expect(resolv).toMatch(/search .*example\.com/);
    expect(resolv).toContain("ndots:2");
    const hosts = await execIn(id, ["cat", "/etc/hosts"]);
    expect(hosts).toMatch(/10\.1\.2\.3\s+multi/);
    expect(hosts).toMatch(/10\.1\.2\.4\s+multi/);
    expect(await execIn(id, ["cat", "/sys/class/net/eth0/address"])).toContain("02:42:ac:11:00:42");
    expect(await execIn(id, ["grep", "NoNewPrivs", "/proc/self/status"])).toMatch(
      /NoNewPrivs:\s+1/,
    );
  }, 120_000);

  it("builds with extra tags, a build network and extra hosts through the engine's build API", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stack-build-"));
    writeFileSync(
      join(dir, "Dockerfile"),
      `FROM ${TEST_IMAGE}\nRUN grep -q "10.9.8.7" /etc/hosts && echo ok > /built\n`,
    );
    const image = `${stack}-built:1`;
    const extra = `${stack}-built:extra`;
    try {
      await engine!.buildImage!({
        image,
        buildHash: "test",
        build: {
          context: dir,
          dockerfile: "Dockerfile",
          args: {},
          labels: {},
          tags: [extra],
          network: "none",
          extraHosts: ["buildhost:10.9.8.7"],
          cacheFrom: [TEST_IMAGE],
        },
      });
      const tags = (await docker.getImage(image).inspect()).RepoTags;
      expect(tags).toEqual(expect.arrayContaining([image, extra]));
    } finally {
      for (const tag of [image, extra])
        await docker
          .getImage(tag)
          .remove()
          .catch(() => undefined);
    }
  }, 120_000);
});
