/** The load generator's webhooks: distinct message_received bodies, and one POST of a body. */
import { benchId, benchProviderMessageId, benchText, messageReceivedBody } from "../bodies";
import type { BenchWorld } from "../common";

/** Distinct message_received bodies spread round-robin over the world's chats, as JSON text. */
export function makeBodies(world: BenchWorld, prefix: string, count: number, startMs: number, stepMs: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const chat = world.chats[i % world.chats.length];
    if (!chat) throw new Error("no chats");
    bodies.push(
      JSON.stringify(
        messageReceivedBody(chat, {
          messageId: benchId(`${prefix}:${i}`),
          providerMessageId: benchProviderMessageId(`${prefix}:${i}`),
          timestamp: new Date(startMs + i * stepMs).toISOString(),
          text: benchText(i),
          isSender: i % 3 === 2,
        }),
      ),
    );
  }
  return bodies;
}

/** POSTs one webhook body (to the service, or to `baseUrl`); its status. */
export async function postWebhook(world: BenchWorld, body: string, baseUrl = world.serviceUrl): Promise<number> {
  const headers = { "content-type": "application/json", "unipile-auth": world.webhookSecret };
  const response = await fetch(`${baseUrl}/api/unipile/webhook`, { method: "POST", headers, body });
  await response.arrayBuffer();
  return response.status;
}
