import { describe, expect, test } from "bun:test";
import { createDatabaseAvailability } from "../../src/db/availability";

const driverError = (code: string) => Object.assign(new Error(code), { code });

/** Polls `check` every few ms until it holds (no fixed sleeps), failing after 5 s. */
async function eventually(check: () => boolean) {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached within 5 s");
    await Bun.sleep(2);
  }
}

describe("the database circuit breaker", () => {
  test("given a connection failure, when the probe fails and then succeeds, then it is down until that success", async () => {
    let probes = 0;
    let reachable = false;
    const availability = createDatabaseAvailability({
      probeIntervalMs: 1,
      probe: async () => {
        probes++;
        if (!reachable) throw driverError("ECONNREFUSED");
      },
    });
    expect(availability.isDown()).toBe(false);

    availability.report(driverError("ECONNREFUSED"));
    expect(availability.isDown()).toBe(true);
    await eventually(() => probes >= 3);
    expect(availability.isDown()).toBe(true);

    reachable = true;
    await eventually(() => !availability.isDown());
    const after = probes;
    await availability.stop();
    expect(probes).toBe(after);
  });

  test("given errors that are not connection failures, then requests keep going to the database", async () => {
    const availability = createDatabaseAvailability({ probeIntervalMs: 1, probe: async () => undefined });
    for (const error of [driverError("23505"), driverError("57014"), new TypeError("bug"), undefined]) availability.report(error);
    expect(availability.isDown()).toBe(false);
    await availability.stop();
  });

  test("given many failures at once, then one probe loop runs", async () => {
    let running = 0;
    let most = 0;
    let release = () => {};
    const availability = createDatabaseAvailability({
      probeIntervalMs: 1,
      probe: () => {
        running++;
        most = Math.max(most, running);
        return new Promise<void>((resolve) => {
          release = () => {
            running--;
            resolve();
          };
        });
      },
    });
    for (let i = 0; i < 20; i++) availability.report(driverError("CONNECTION_CLOSED"));
    await eventually(() => running === 1);
    release();
    await eventually(() => !availability.isDown());
    expect(most).toBe(1);
    await availability.stop();
  });

  test("when stopped, then reports change nothing and no probe runs", async () => {
    let probes = 0;
    const availability = createDatabaseAvailability({ probeIntervalMs: 1, probe: async () => void probes++ });
    await availability.stop();
    availability.report(driverError("ECONNRESET"));
    expect(availability.isDown()).toBe(false);
    expect(probes).toBe(0);
  });
});
