/**
 * @module http/examples
 * The examples in /openapi.json: real answers of this service running
 * against the Unipile sandbox (a connection, an account, a send, a page of
 * conversations and of messages, an error), recorded once in answers.json
 * (the QR code's text and SVG drawings shortened), and a messaging
 * webhook body as Unipile sends it (test/fixtures/unipile/message-received-whatsapp.json).
 */
import answers from "./answers.json";
import webhook from "./webhook-message.json";

export const EXAMPLES = { ...answers, webhook };
