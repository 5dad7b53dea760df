// The page's runtime settings, served as /config.json by the site (CloudFront) or the local dev server.
// Shape (the shared contract of issue 16): {"environment", "local", "auth": {"mode", ...}, "api_base"}.

export type AuthMode = "stub" | "cognito" | "iam";

export interface AuthConfig {
  mode: AuthMode;
  user_pool_client_id?: string;
  hosted_ui_domain?: string;
  redirect_uri?: string;
  identity_pool_id?: string;
  /** mode "iam": Cognito Identity's origin (also the CSP's connect-src entry) and the user pool's provider name. */
  identity_endpoint?: string;
  identity_provider?: string;
  user_pool_id?: string;
  region?: string;
  scopes?: string[];
  /** mode "iam": what a request is signed for (the API's execute-api host and stage, behind CloudFront's /v1). */
  api_signing?: { service: string; host: string; path_prefix: string };
}

export interface PlaygroundConfig {
  environment: string;
  local: boolean;
  auth: AuthConfig;
  api_base: string;
}

export async function loadConfig(): Promise<PlaygroundConfig> {
  const response = await fetch("/config.json", { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`/config.json: HTTP ${response.status}`);
  const data = (await response.json()) as Partial<PlaygroundConfig>;
  const mode = data.auth?.mode;
  if (mode !== "stub" && mode !== "cognito" && mode !== "iam") {
    throw new Error("/config.json: auth.mode must be stub, cognito or iam");
  }
  return {
    environment: String(data.environment ?? "unknown"),
    local: data.local === true,
    auth: data.auth as AuthConfig,
    // Same origin only: the API is proxied under /v1 (no third-party origin, CSP connect-src 'self').
    // "//host" and "/\\host" are other origins to a URL parser, so a base is one "/" followed by a path character.
    api_base: typeof data.api_base === "string" && /^\/[A-Za-z0-9_.~-]/.test(data.api_base) ? data.api_base.replace(/\/$/, "") : "/v1",
  };
}
