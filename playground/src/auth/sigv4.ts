// AWS Signature Version 4 with WebCrypto (AWS General Reference, "Create a signed AWS API request"): canonical
// request -> string to sign -> HMAC-SHA256 key chain (date, region, service, "aws4_request"). Headers signed:
// host, x-amz-date and, for temporary credentials, x-amz-security-token. The canonical URI encodes each segment of
// the path as sent (non-S3 services sign the already-encoded path encoded again). Checked against botocore's
// SigV4Auth by tests/unit/playground/test_sigv4.py.

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  host: string;
  path: string; // as sent: already percent-encoded
  query?: URLSearchParams;
  body?: string;
  region: string;
  service: string;
  credentials: Credentials;
  now?: Date;
}

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

async function hmac(key: ArrayBuffer | Uint8Array, text: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(text));
}

/** RFC 3986 unreserved characters stay; everything else is %XX (uppercase). */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export async function sign(input: SignInput): Promise<Record<string, string>> {
  const now = input.now ?? new Date();
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, ""); // YYYYMMDD'T'HHMMSS'Z'
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { host: input.host, "x-amz-date": amzDate };
  if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const query = [...(input.query ?? new URLSearchParams()).entries()]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
  const canonicalUri = input.path.split("/").map(uriEncode).join("/") || "/";
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri,
    query,
    names.map((name) => `${name}:${headers[name].trim()}\n`).join(""),
    names.join(";"),
    await sha256Hex(input.body ?? ""),
  ].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key: ArrayBuffer = await hmac(encoder.encode(`AWS4${input.credentials.secretAccessKey}`), day);
  for (const part of [input.region, input.service, "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, stringToSign));
  const result: Record<string, string> = {
    Authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
    "X-Amz-Date": amzDate,
  };
  if (input.credentials.sessionToken) result["X-Amz-Security-Token"] = input.credentials.sessionToken;
  return result;
}

/** The server's time (epoch ms) in a request refused for its clock: API Gateway answers 403 with "Signature expired:
 * <x-amz-date> is now earlier than <limit> (<server time> - 5 min.)" or "Signature not yet current: ... (<server
 * time> + 5 min.)". Null for any other refusal. */
export function serverTimeOfClockRefusal(message: string): number | null {
  const match = /^Signature (?:expired|not yet current):.*\((\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z [-+] 5 min\.\)/.exec(message);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}
