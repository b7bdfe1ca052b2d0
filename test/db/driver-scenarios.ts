/**
 * Run as its own process by postgres-driver.int.test.ts (a driver crash must
 * not take the test runner down): `bun test/db/driver-scenarios.ts <scenario> <url>`.
 * Each scenario ends a backend of its own from a second connection, the way a
 * Postgres restart ends every backend, and prints one JSON line of outcomes.
 * An uncaught driver error ends the process non-zero.
 */
import postgres from "postgres";

const [scenario, url] = process.argv.slice(2);
if (!url) throw new Error("usage: driver-scenarios.ts <transaction|reserved> <database url>");

const options = { onnotice: () => undefined, connect_timeout: 3 };
const sql = postgres(url, { ...options, max: 2 });
const killer = postgres(url, { ...options, max: 1 });

/** The outcome of a query: "ok", its error code, or "hung" after 5 s. */
async function settle(query: Promise<unknown>): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<string>((done) => {
    timer = setTimeout(() => done("hung"), 5000);
  });
  const outcome = query.then(
    () => "ok",
    (error: { code?: string }) => String(error.code ?? error),
  );
  try {
    return await Promise.race([outcome, hung]);
  } finally {
    clearTimeout(timer);
  }
}

async function terminate(pid: number) {
  await killer`select pg_terminate_backend(${pid})`;
}

/** A transaction whose backend dies mid-statement: postgres.js then sends its own ROLLBACK. */
async function transaction() {
  let pid: number | undefined;
  // Settled from the start: the transaction may fail before pg_terminate_backend answers.
  const outcome = settle(
    sql.begin(async (t) => {
      const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
      pid = row?.pid;
      await t`select pg_sleep(3)`;
    }),
  );
  while (pid === undefined) await Bun.sleep(10);
  await terminate(pid);
  const transaction = await outcome;
  // The deferred write of the ROLLBACK runs on a later turn of the event loop.
  await Bun.sleep(200);
  const after = await settle(sql`select 1`);
  return { transaction, after };
}

/** A reserved connection whose backend dies, used again, released; three times over. */
async function reserved() {
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    const connection = await sql.reserve();
    const [row] = await connection<{ pid: number }[]>`select pg_backend_pid() as pid`;
    await terminate(row?.pid ?? 0);
    const first = await settle(connection`select 1`);
    const second = await settle(connection`select 1`);
    connection.release();
    const pool = [];
    for (let i = 0; i < 3; i++) pool.push(await settle(sql`select 1`));
    rounds.push({ first, second, pool });
  }
  return { rounds };
}

const scenarios: Record<string, () => Promise<unknown>> = { transaction, reserved };
const run = scenarios[scenario ?? ""];
if (!run) throw new Error(`unknown scenario ${scenario}`);
console.log(JSON.stringify(await run()));
await Promise.all([sql.end({ timeout: 1 }), killer.end({ timeout: 1 })]);
