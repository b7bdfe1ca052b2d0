/**
 * Rate limits and send pacing wide enough for tests that send and read as
 * fast as they can (the defaults protect WhatsApp numbers and would pace
 * them). Tests of the limits themselves set them tight.
 */
export const LOOSE_LIMITS: Record<string, string> = {
  API_MAX_IN_FLIGHT_PER_CALLER: "100000",
  RATE_LIMIT_USER_PER_SECOND: "100000",
  RATE_LIMIT_USER_BURST: "1000000",
  RATE_LIMIT_IP_PER_SECOND: "100000",
  RATE_LIMIT_IP_BURST: "1000000",
  SEND_PER_MINUTE: "100000",
  SEND_BURST: "100000",
  SEND_NEW_CHATS_PER_DAY: "100000",
  SEND_NEW_CHATS_PER_DAY_WARMUP: "100000",
  SEND_CHAT_MIN_GAP_MS: "0",
  UNIPILE_MAX_REQUESTS_PER_SECOND: "100000",
};
