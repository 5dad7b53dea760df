// Environments whose API uses IAM (SigV4) authorization (pg-infra's decision, cdk/components/playground_site):
// the same hosted-UI sign-in as mode "cognito", then the ID token traded at the environment's Cognito identity
// pool for temporary credentials (GetId + GetCredentialsForIdentity: unauthenticated calls, per botocore's
// cognito-identity 2014-06-30 model, auth smithy.api#noAuth), then every API request signed (SigV4) for the host
// and stage path API Gateway receives from CloudFront (config auth.api_signing), not the page's own URL.
import type { AuthConfig } from "../config";
import { hostedUiSession } from "./cognito";
import { type Credentials, serverTimeOfClockRefusal, sign } from "./sigv4";
import type { Auth } from "./types";

const CREDENTIALS = "playground.credentials";
const EXPIRY_MARGIN_MS = 120_000;

interface StoredCredentials extends Credentials {
  expiresAt: number;
  idToken: string;
}

async function identityCall<T>(endpoint: string, target: string, body: unknown): Promise<T> {
  const response = await fetch(`${endpoint.replace(/\/$/, "")}/`, {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityService.${target}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sign-in failed: Cognito Identity ${target} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

export function iamAuth(config: AuthConfig): Auth {
  const session = hostedUiSession(config);
  const region = config.region ?? "";
  const signing = config.api_signing;
  // Both from config.json (the stack's partition-aware values): the page builds no AWS host name itself.
  const endpoint = config.identity_endpoint ?? "";
  const provider = config.identity_provider ?? "";

  /** How far the browser's clock is behind the API's (ms), learned from a refusal; signatures and expiry use both. */
  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;

  /** The credentials being fetched: requests made together (the page loads three catalogs at once) share them. */
  let fetching: { idToken: string; credentials: Promise<Credentials> } | null = null;

  function credentials(idToken: string): Promise<Credentials> {
    const raw = sessionStorage.getItem(CREDENTIALS);
    const cached = raw ? (JSON.parse(raw) as StoredCredentials) : null;
    if (cached && cached.idToken === idToken && cached.expiresAt - EXPIRY_MARGIN_MS > now()) {
      return Promise.resolve(cached);
    }
    if (fetching?.idToken !== idToken) {
      const pending = issue(idToken).finally(() => {
        if (fetching?.credentials === pending) fetching = null;
      });
      fetching = { idToken, credentials: pending };
    }
    return fetching.credentials;
  }

  async function issue(idToken: string): Promise<Credentials> {
    const logins = { [provider]: idToken };
    const { IdentityId } = await identityCall<{ IdentityId: string }>(endpoint, "GetId", {
      IdentityPoolId: config.identity_pool_id,
      Logins: logins,
    });
    const { Credentials: issued } = await identityCall<{
      Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string; Expiration: number };
    }>(endpoint, "GetCredentialsForIdentity", { IdentityId, Logins: logins });
    const stored: StoredCredentials = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretKey,
      sessionToken: issued.SessionToken,
      expiresAt: issued.Expiration * 1000, // JSON protocol timestamps are epoch seconds
      idToken,
    };
    sessionStorage.setItem(CREDENTIALS, JSON.stringify(stored));
    return stored;
  }

  return {
    canSignIn: true,
    user: session.user,
    async headers(method, url, body) {
      const idToken = await session.idToken();
      if (!idToken || !signing) return {}; // unsigned: the API answers 403 and the page offers sign-in
      return sign({
        method,
        host: signing.host,
        path: `${signing.path_prefix.replace(/\/$/, "")}${url.pathname}`,
        query: url.searchParams,
        body,
        region,
        service: signing.service,
        credentials: await credentials(idToken),
        now: new Date(now()),
      });
    },
    adoptServerClock(message) {
      const serverTime = serverTimeOfClockRefusal(message);
      if (serverTime === null) return false;
      clockOffsetMs = serverTime - Date.now();
      return true;
    },
    signIn: session.signIn,
    signOut() {
      sessionStorage.removeItem(CREDENTIALS);
      session.signOut();
    },
  };
}
