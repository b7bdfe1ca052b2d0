/**
 * Makes a test database's log refuse any event whose data holds `POISON`,
 * as a trigger or a constraint might in production: the real way a fact
 * gets refused by Postgres, for the tests of facts that fail alone.
 */
import type { Sql } from "../../src/db/client";

export const POISON = "POISON";

export async function refusePoison(sql: Sql): Promise<void> {
  await sql.unsafe(`
    create function refuse_poison() returns trigger language plpgsql as $$
    begin
      if new.data::text like '%${POISON}%' then raise exception 'refused by the test trigger'; end if;
      return new;
    end $$;
    create trigger refuse_poison before insert on events for each row execute function refuse_poison();
  `);
}
