// An attached image as the API takes it (schemas/requests.json Image): {"format": "png"|"jpeg", "data": base64},
// at most 3,932,160 bytes (orchestrator/validation.py MAX_IMAGE_BYTES, 3.75 MB: Converse's limit).
export const MAX_IMAGE_BYTES = 3_932_160;

export interface ImagePayload {
  format: "png" | "jpeg";
  data: string;
}

export async function readImage(file: File): Promise<ImagePayload> {
  const format = file.type === "image/png" ? "png" : file.type === "image/jpeg" ? "jpeg" : null;
  if (!format) throw new Error(`${file.name}: only PNG and JPEG images are accepted`);
  if (file.size > MAX_IMAGE_BYTES) throw new Error(`${file.name}: ${file.size} bytes; the maximum is ${MAX_IMAGE_BYTES} (3.75 MB)`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { format, data: btoa(binary) };
}
