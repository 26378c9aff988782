import { describe, expect, it } from "vitest";
import { parseJsonLines, toStackEvent } from "../../../../src/drivers/docker-api/events.js";

describe("toStackEvent", () => {
  it("names a volume from Attributes.name when Actor.ID is empty (Podman)", () => {
    expect(
      toStackEvent(
        { Type: "volume", Action: "create", Actor: { ID: "", Attributes: { name: "s_data" } } },
        "s",
      ),
    ).toEqual({ type: "volume", action: "create", name: "s_data" });
    expect(
      toStackEvent(
        { Type: "volume", Action: "remove", Actor: { ID: "", Attributes: { name: "t_data" } } },
        "s",
      ),
    ).toBeUndefined();
  });

  it("keeps container events labelled with the stack, with name and service", () => {
    expect(
      toStackEvent(
        {
          Type: "container",
          Action: "die",
          Actor: {
            ID: "abc",
            Attributes: {
              name: "s_web.1",
              "stack.name": "s",
              "stack.service": "web",
              exitCode: "137",
            },
          },
        },
        "s",
      ),
    ).toEqual({ type: "container", action: "die", name: "s_web.1", service: "web" });
  });

  it("drops container events of other stacks and unlabelled containers", () => {
    expect(
      toStackEvent(
        { Type: "container", Action: "die", Actor: { Attributes: { "stack.name": "other" } } },
        "s",
      ),
    ).toBeUndefined();
    expect(
      toStackEvent(
        { Type: "container", Action: "die", Actor: { Attributes: { name: "s_web.1" } } },
        "s",
      ),
    ).toBeUndefined();
  });

  it("reduces exec and health actions to their first word", () => {
    expect(
      toStackEvent(
        {
          Type: "container",
          Action: "exec_start: sh -c true",
          Actor: { Attributes: { "stack.name": "s" } },
        },
        "s",
      )?.action,
    ).toBe("exec_start");
    expect(
      toStackEvent(
        {
          Type: "container",
          Action: "health_status: unhealthy",
          Actor: { Attributes: { "stack.name": "s" } },
        },
        "s",
      )?.action,
    ).toBe("health_status");
  });

  it("matches network and volume events by the stack name prefix (they carry no labels)", () => {
    expect(
      toStackEvent(
        {
          Type: "network",
          Action: "create",
          Actor: { ID: "n1", Attributes: { name: "s_default", type: "bridge" } },
        },
        "s",
      ),
    ).toEqual({
      type: "network",
      action: "create",
      name: "s_default",
    });
    expect(
      toStackEvent(
        { Type: "network", Action: "create", Actor: { Attributes: { name: "sx_default" } } },
        "s",
      ),
    ).toBeUndefined();
    expect(
      toStackEvent(
        {
          Type: "volume",
          Action: "destroy",
          Actor: { ID: "s_data", Attributes: { driver: "local" } },
        },
        "s",
      ),
    ).toEqual({
      type: "volume",
      action: "destroy",
      name: "s_data",
    });
    expect(
      toStackEvent({ Type: "image", Action: "pull", Actor: { ID: "s_x" } }, "s"),
    ).toBeUndefined();
  });
});

describe("parseJsonLines", () => {
  it("parses objects split across chunks and skips junk lines", async () => {
    async function* chunks() {
      yield '{"a":1}\n{"b"';
      yield Buffer.from(':2}\nnot json\n\n{"c":3}\n');
    }
    const out: unknown[] = [];
    for await (const o of parseJsonLines(chunks())) out.push(o);
    expect(out).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});
