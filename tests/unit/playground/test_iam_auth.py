"""Mode "iam" of the playground (playground/src/auth/iam.ts with src/api.ts) under Node.js, Cognito Identity and the
API played by the test: credentials fetched once for requests made together, and a request refused for the
browser's wrong clock signed again on the API's clock (SigV4 allows 5 minutes of difference)."""

from __future__ import annotations

#: Signed in (a valid ID token in sessionStorage); the page's storage and address bar are stubs.
PAGE = r"""
const store = new Map([["playground.tokens", JSON.stringify({id_token: "id-1", expires_at: Date.now() + 3600e3})]]);
globalThis.sessionStorage = {
  getItem: (key) => (store.has(key) ? store.get(key) : null),
  setItem: (key, value) => store.set(key, String(value)),
  removeItem: (key) => store.delete(key),
};
globalThis.location = {origin: "https://playground.example", pathname: "/", search: "", hash: "", assign: () => {}};
globalThis.history = {replaceState: () => {}};
const CONFIG = {mode: "iam", region: "eu-west-1", user_pool_id: "eu-west-1_abc", identity_pool_id: "eu-west-1:pool",
                identity_endpoint: "https://cognito-identity.cn-north-1.amazonaws.com.cn",
                identity_provider: "cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc",
                hosted_ui_domain: "auth.example", user_pool_client_id: "client-1",
                api_signing: {service: "execute-api", host: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
                              path_prefix: "/api"}};
const calls = [];
const endpoints = new Set();
const providers = new Set();
const identity = async (to, init) => {
  const target = init.headers["X-Amz-Target"].split(".")[1];
  calls.push(target);
  endpoints.add(String(to).replace(/\/$/, ""));
  providers.add(Object.keys(JSON.parse(init.body).Logins).join());
  await new Promise((resolve) => setTimeout(resolve, 10));
  const body = target === "GetId" ? {IdentityId: "eu-west-1:id"}
    : {Credentials: {AccessKeyId: "ASIA1", SecretKey: "secret", SessionToken: "token",
                     Expiration: Date.now() / 1000 + 3600}};
  return new Response(JSON.stringify(body), {status: 200});
};
"""


def run_iam(run_module, script: str) -> dict:
    return run_module("../tests/unit/playground/iam_entry.ts", PAGE + script)


def test_credentials_are_fetched_once_for_requests_made_together(run_module) -> None:
    outcome = run_iam(run_module, """
      globalThis.fetch = async (to, init) => identity(to, init);
      const auth = module.iamAuth(CONFIG);
      const url = new URL("https://playground.example/v1/models");
      await Promise.all([1, 2, 3].map(() => auth.headers("GET", url, undefined)));
      console.log(JSON.stringify({calls, endpoints: [...endpoints], providers: [...providers]}));
    """)
    assert outcome["calls"] == ["GetId", "GetCredentialsForIdentity"]
    # The endpoint and Logins key config.json names (here another partition's), not ones the page builds itself.
    assert outcome["endpoints"] == ["https://cognito-identity.cn-north-1.amazonaws.com.cn"]
    assert outcome["providers"] == ["cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc"]


def test_a_request_refused_for_the_browsers_clock_is_signed_again_on_the_apis_clock(run_module) -> None:
    # API Gateway's answer to a signature dated more than 5 minutes from its clock (403; the server time is in it).
    outcome = run_iam(run_module, """
      const refused = "Signature expired: 20261203T120000Z is now earlier than 20300101T115500Z (20300101T120000Z - 5 min.)";
      const dates = [];
      globalThis.fetch = async (to, init) => {
        if (String(to).includes("cognito-identity")) return identity(to, init);
        dates.push(init.headers["X-Amz-Date"]);
        if (!init.headers["X-Amz-Date"].startsWith("20300101T12")) {
          return new Response(JSON.stringify({message: refused}), {status: 403});
        }
        return new Response(JSON.stringify({models: []}), {status: 200});
      };
      const api = new module.Api("/v1", module.iamAuth(CONFIG));
      const first = await api.get("/models");
      const second = await api.get("/models");  // the clock learned once serves the next requests
      console.log(JSON.stringify({first, second, dates}));
    """)
    assert outcome["first"] == {"models": []} and outcome["second"] == {"models": []}
    dates = outcome["dates"]
    assert len(dates) == 3 and not dates[0].startswith("20300101") and all(d.startswith("20300101T12") for d in dates[1:])


def test_a_403_for_other_reasons_is_not_retried(run_module) -> None:
    outcome = run_iam(run_module, """
      let sent = 0;
      globalThis.fetch = async (to, init) => {
        if (String(to).includes("cognito-identity")) return identity(to, init);
        sent += 1;
        return new Response(JSON.stringify({message: "User is not authorized to access this resource"}), {status: 403});
      };
      const api = new module.Api("/v1", module.iamAuth(CONFIG));
      let status = null;
      try { await api.get("/models"); } catch (error) { status = error.status; }
      console.log(JSON.stringify({sent, status}));
    """)
    assert outcome == {"sent": 1, "status": 403}
