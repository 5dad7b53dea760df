// Cognito hosted UI sign-in: OAuth 2.0 authorization code with PKCE (RFC 7636, S256 via WebCrypto), the
// code exchanged at https://<hosted_ui_domain>/oauth2/token. Tokens live in sessionStorage (gone with the
// tab; never localStorage). The API's COGNITO_USER_POOLS authorizer (cdk/components/orchestration_api) has
// no OAuth scopes on its methods, so it takes the ID token, sent as the raw Authorization header value like
// client/genai_client does (API Gateway docs: without method scopes the authorizer validates an ID token).
import type { AuthConfig } from "../config";
import type { Auth } from "./types";

const TOKENS = "playground.tokens";
const PENDING = "playground.pkce";
const EXPIRY_MARGIN_MS = 60_000;

interface Tokens {
  id_token: string;
  refresh_token?: string;
  expires_at: number;
}

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function claims(idToken: string): Record<string, unknown> {
  try {
    const payload = idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(payload), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The hosted-UI session both signed modes share: sign-in, sign-out, and a fresh ID token (refreshed when due). */
export interface HostedUiSession {
  user(): string | null;
  idToken(): Promise<string | null>;
  signIn(): Promise<void>;
  signOut(): void;
}

export function hostedUiSession(config: AuthConfig): HostedUiSession {
  const domain = config.hosted_ui_domain ?? "";
  const clientId = config.user_pool_client_id ?? "";
  const redirectUri = config.redirect_uri ?? `${location.origin}/`;
  const scopes = (config.scopes ?? ["openid", "email"]).join(" ");
  const base = domain.startsWith("https://") ? domain.replace(/\/$/, "") : `https://${domain}`;

  const load = (): Tokens | null => {
    const raw = sessionStorage.getItem(TOKENS);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  };

  async function exchange(params: Record<string, string>): Promise<Tokens> {
    const response = await fetch(`${base}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: clientId, ...params }),
    });
    if (!response.ok) throw new Error(`sign-in failed: the token endpoint answered HTTP ${response.status}`);
    const body = (await response.json()) as { id_token: string; refresh_token?: string; expires_in: number };
    const tokens: Tokens = {
      id_token: body.id_token,
      refresh_token: body.refresh_token ?? params.refresh_token,
      expires_at: Date.now() + body.expires_in * 1000,
    };
    sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    return tokens;
  }

  /** Back from the hosted UI with ?code=&state= (or ?error=&error_description= when sign-in was refused or
   * cancelled, RFC 6749 section 4.1.2.1): exchange the code, and drop either from the address bar. */
  async function completeRedirect(): Promise<void> {
    const query = new URLSearchParams(location.search);
    const code = query.get("code");
    const refused = query.get("error");
    const pending = sessionStorage.getItem(PENDING);
    if ((!code && !refused) || !pending) return;
    sessionStorage.removeItem(PENDING);
    history.replaceState(null, "", location.pathname + location.hash);
    const { state, verifier } = JSON.parse(pending) as { state: string; verifier: string };
    if (query.get("state") !== state) throw new Error("sign-in failed: the state does not match");
    if (refused || !code) throw new Error(`sign-in failed: ${query.get("error_description") || refused}`);
    await exchange({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier });
  }

  const ready = completeRedirect();
  /** The renewal under way: requests made together (the page loads three catalogs at once) share one. */
  let renewing: Promise<Tokens | null> | null = null;

  function renew(refreshToken: string | undefined): Promise<Tokens | null> {
    if (!refreshToken) return Promise.resolve(null);
    renewing ??= exchange({ grant_type: "refresh_token", refresh_token: refreshToken })
      .catch(() => null)
      .finally(() => {
        renewing = null;
      });
    return renewing;
  }

  return {
    user: () => {
      const tokens = load();
      if (!tokens) return null;
      const values = claims(tokens.id_token);
      return String(values.email ?? values["cognito:username"] ?? "signed in");
    },
    async idToken() {
      await ready;
      let tokens = load();
      if (tokens && tokens.expires_at - EXPIRY_MARGIN_MS < Date.now()) {
        tokens = await renew(tokens.refresh_token);
        if (!tokens) sessionStorage.removeItem(TOKENS);
      }
      return tokens?.id_token ?? null;
    },
    async signIn() {
      const verifier = randomString(48);
      const state = randomString(16);
      sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier }));
      const query = new URLSearchParams({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: scopes,
        state,
        code_challenge_method: "S256",
        code_challenge: await pkceChallenge(verifier),
      });
      location.assign(`${base}/oauth2/authorize?${query}`);
    },
    signOut() {
      const refreshToken = load()?.refresh_token;
      sessionStorage.removeItem(TOKENS);
      sessionStorage.removeItem(PENDING);
      if (refreshToken) {
        // Revoke it and every token it issued (the client enables token revocation): deleting it from this tab
        // alone would leave it able to mint tokens until it expires. keepalive: it outlives the navigation below.
        void fetch(`${base}/oauth2/revoke`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ token: refreshToken, client_id: clientId }),
          keepalive: true,
        }).catch(() => undefined);
      }
      const query = new URLSearchParams({ client_id: clientId, logout_uri: redirectUri });
      location.assign(`${base}/logout?${query}`);
    },
  };
}

export function cognitoAuth(config: AuthConfig): Auth {
  const session = hostedUiSession(config);
  return {
    canSignIn: true,
    user: session.user,
    async headers(): Promise<Record<string, string>> {
      // No token: the API answers 401 and the page offers sign-in.
      const token = await session.idToken();
      return token ? { Authorization: token } : {};
    },
    signIn: session.signIn,
    signOut: session.signOut,
  };
}
