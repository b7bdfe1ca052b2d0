/**
 * The zod-free path for messaging webhooks must give exactly what the schema
 * gives, or step aside: for every messaging fixture and hundreds of variants
 * of them (each field removed, null, or of another type; attachment shapes),
 * `parseMessagingWebhook` and `MessagingWebhookSchema.safeParse` agree on
 * success and on the parsed body.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fastMessagingWebhook as fastPath } from "../../src/unipile/messaging-webhook-fast";
import { MessagingWebhookSchema, parseMessagingWebhook } from "../../src/unipile/payloads";

const FIXTURES = join(import.meta.dir, "../fixtures/unipile");
const messaging = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ name: f, body: JSON.parse(readFileSync(join(FIXTURES, f), "utf8")) as unknown }))
  .filter((f) => typeof f.body === "object" && f.body !== null && typeof (f.body as { event?: unknown }).event === "string");

const ODD_VALUES: unknown[] = [null, "", "x", "1", "true", 0, 1, 2.5, true, false, [], [{}], {}, { a: 1 }, "a".repeat(501)];
const NESTED = ["sender", "reaction_sender", "quoted", "account_info"];
const ATTACHMENT = { id: "a1", type: "img", mimetype: "image/png", file_name: "a.png", url: "att://1", file_size: 10, unavailable: false };

/** The body, and variants of it: each key removed, each key set to each odd value, nested fields too. */
function variants(body: Record<string, unknown>): unknown[] {
  const out: unknown[] = [body];
  const keys = [...new Set([...Object.keys(body), "sender", "attendees", "attachments", "quoted", "is_group", "file_size"])];
  for (const key of keys) {
    const { [key]: _removed, ...without } = body;
    out.push(without);
    for (const value of ODD_VALUES) out.push({ ...body, [key]: value });
  }
  for (const key of NESTED) {
    const nested = { attendee_id: "x", attendee_name: "n", attendee_specifics: { provider: "WHATSAPP", phone_number: "+33", lid: null }, provider_id: "p", text: "t" };
    out.push({ ...body, [key]: nested });
    for (const inner of Object.keys(nested)) for (const value of ODD_VALUES) out.push({ ...body, [key]: { ...nested, [inner]: value } });
  }
  out.push({ ...body, attendees: [body.sender ?? {}, { attendee_id: "y" }] }, { ...body, attendees: [null] });
  out.push({ ...body, attachments: [ATTACHMENT] }, { ...body, attachments: ATTACHMENT });
  out.push({ ...body, attachments: [{ attachment_id: "b", attachment_type: "video", attachment_name: "v.mp4" }] });
  for (const field of Object.keys(ATTACHMENT)) {
    for (const value of ODD_VALUES) out.push({ ...body, attachments: [{ ...ATTACHMENT, [field]: value }] });
  }
  return out;
}

describe("parseMessagingWebhook", () => {
  test("takes the fast path for the plain fixtures", () => {
    expect(messaging.length).toBeGreaterThan(3);
    const plain = messaging.filter((f) => fastPath(f.body) !== undefined).map((f) => f.name);
    expect(plain).toContain("message-received-whatsapp.json");
    expect(plain).toContain("message-reaction.json");
  });

  test("agrees with the schema on every fixture and every variant", () => {
    let compared = 0;
    let fast = 0;
    for (const fixture of messaging) {
      for (const body of variants(fixture.body as Record<string, unknown>)) {
        const expected = MessagingWebhookSchema.safeParse(body);
        const got = parseMessagingWebhook(body);
        expect(got.success, `${fixture.name}: ${JSON.stringify(body).slice(0, 300)}`).toBe(expected.success);
        if (expected.success && got.success) expect(got.data).toEqual(expected.data);
        if (fastPath(body) !== undefined) fast++;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(fast).toBeGreaterThan(100);
  });
});
