/**
 * @module sandbox/attachments
 * Attachment records from uploads and control inputs. The SDK uploads files
 * as untyped blobs, so the type is guessed from the file name when the part
 * carries none.
 */
import { unipileId } from "./ids";
import type { AttachmentType, SandboxAttachment } from "./store";

const BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  mp4: "video/mp4",
  mov: "video/quicktime",
  ogg: "audio/ogg; codecs=opus",
  opus: "audio/ogg; codecs=opus",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  pdf: "application/pdf",
  txt: "text/plain",
  csv: "text/csv",
  json: "application/json",
};

export const guessMimetype = (fileName: string): string =>
  BY_EXTENSION[fileName.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";

export const typeForMimetype = (mimetype: string): AttachmentType =>
  mimetype.startsWith("image/")
    ? "img"
    : mimetype.startsWith("video/")
      ? "video"
      : mimetype.startsWith("audio/")
        ? "audio"
        : "file";

export function makeAttachment(input: {
  fileName: string;
  bytes: Uint8Array;
  mimetype?: string;
  type?: AttachmentType;
}): SandboxAttachment {
  const mimetype = input.mimetype && input.mimetype !== "application/octet-stream"
    ? input.mimetype
    : guessMimetype(input.fileName);
  return {
    id: unipileId(),
    type: input.type ?? typeForMimetype(mimetype),
    mimetype,
    fileName: input.fileName,
    bytes: input.bytes,
  };
}

/** Uploaded multipart files (`attachments` fields) as attachments. */
export async function fromFiles(files: File[]): Promise<SandboxAttachment[]> {
  return Promise.all(
    files.map(async (file) =>
      makeAttachment({
        fileName: file.name || "file",
        bytes: new Uint8Array(await file.arrayBuffer()),
        mimetype: file.type.split(";")[0] === "" ? undefined : file.type,
      }),
    ),
  );
}
