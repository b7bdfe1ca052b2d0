import { describe, expect, test } from "bun:test";
import { reconnectDelaySeconds } from "../../src/db/client";
import { describeDatabaseError, failureLog, isConnectionFailure, isDatabaseUnavailable } from "../../src/db/errors";

/** An error as postgres.js builds them: a message and a `code` (its own, a socket's, or a SQLSTATE). */
const driverError = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });

describe("which database errors mean the database is unavailable", () => {
  test("given the driver's connection codes and socket errors, then they are connection failures", () => {
    for (const code of ["CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]) {
      expect({ code, failure: isConnectionFailure(driverError(code)), unavailable: isDatabaseUnavailable(driverError(code)) }).toEqual({ code, failure: true, unavailable: true });
    }
  });

  test("given a server shutting down, crashed, starting up, or any class 08 SQLSTATE, then they are connection failures", () => {
    for (const code of ["57P01", "57P02", "57P03", "08000", "08001", "08003", "08006", "08P01"]) {
      expect({ code, failure: isConnectionFailure(driverError(code)) }).toEqual({ code, failure: true });
    }
  });

  test("given a statement timeout or no connection slots left, then the database is unavailable but reachable", () => {
    for (const code of ["57014", "53300"]) {
      expect({ code, failure: isConnectionFailure(driverError(code)), unavailable: isDatabaseUnavailable(driverError(code)) }).toEqual({ code, failure: false, unavailable: true });
    }
  });

  test("given a bad statement, a constraint violation, a bug or no error at all, then the database is not unavailable", () => {
    for (const error of [driverError("23505"), driverError("42P01"), driverError("22P02"), new TypeError("x is undefined"), "a string", null, undefined, { code: 8 }]) {
      expect(isDatabaseUnavailable(error)).toBe(false);
    }
  });

  test("given a connection error wrapped as the cause of another, then it is found", () => {
    const wrapped = new Error("append failed", { cause: driverError("ECONNREFUSED") });
    expect(isConnectionFailure(wrapped)).toBe(true);
  });

  test("when logged, an outage is one warning with the code and message, anything else an error with the whole error", () => {
    const refused = driverError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432");
    expect(failureLog(refused)).toEqual({ level: "warn", fields: { database: { code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:5432" } } });
    const bug = new TypeError("boom");
    expect(failureLog(bug)).toEqual({ level: "error", fields: { err: bug } });
    expect(describeDatabaseError("text")).toEqual({ message: "text" });
  });
});

describe("reconnecting", () => {
  test("given failed attempts, then the next waits 50 ms doubling, never more than half a second", () => {
    expect([0, 1, 2, 3, 4, 10, 100].map(reconnectDelaySeconds)).toEqual([0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]);
  });
});
