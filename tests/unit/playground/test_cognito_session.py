"""The hosted-UI session of the playground (playground/src/auth/cognito.ts) under Node.js, the page's storage,
address bar and the token endpoint played by the test: a refused sign-in coming back from the hosted UI, and
tokens renewed once however many requests need them at the same time."""

from __future__ import annotations

import json

#: A page at https://playground.example/<search>: sessionStorage, location, history and a fetch that records calls.
PAGE = """
const store = new Map(Object.entries(STORED));
globalThis.sessionStorage = {
  getItem: (key) => (store.has(key) ? store.get(key) : null),
  setItem: (key, value) => store.set(key, String(value)),
  removeItem: (key) => store.delete(key),
};
const url = new URL("https://playground.example/" + SEARCH);
globalThis.location = {origin: url.origin, pathname: url.pathname, search: url.search, hash: url.hash,
                       assign: (to) => calls.push("navigate " + to)};
globalThis.history = {replaceState: (_state, _title, to) => { location.search = ""; calls.push("address " + to); }};
const calls = [];
globalThis.fetch = async (to, init) => {
  calls.push("fetch " + to + " " + init.body);
  await new Promise((resolve) => setTimeout(resolve, 10));
  return new Response(JSON.stringify({id_token: "new-id-token", expires_in: 1800}), {status: 200});
};
const CONFIG = {mode: "cognito", hosted_ui_domain: "auth.example", user_pool_client_id: "client-1",
                redirect_uri: "https://playground.example/"};
"""


def run_session(run_module, *, search: str, stored: dict, script: str) -> dict:
    prelude = f"const STORED = {json.dumps(stored)}; const SEARCH = {json.dumps(search)};" + PAGE
    return run_module("src/auth/cognito.ts", prelude + script)


def test_a_refused_sign_in_is_reported_with_the_hosted_uis_reason_and_leaves_the_address_bar(run_module) -> None:
    pending = json.dumps({"state": "s-1", "verifier": "v" * 43})
    outcome = run_session(run_module, search="?error=access_denied&error_description=User+cancelled&state=s-1",
                          stored={"playground.pkce": pending}, script="""
      const session = module.hostedUiSession(CONFIG);
      let message = null;
      try { await session.idToken(); } catch (error) { message = error.message; }
      console.log(JSON.stringify({message, calls, pending: sessionStorage.getItem("playground.pkce")}));
    """)
    assert outcome["message"] is not None and "User cancelled" in outcome["message"], outcome
    assert outcome["pending"] is None
    assert "address /" in outcome["calls"]  # the error is dropped from the address bar
    assert not [call for call in outcome["calls"] if call.startswith("fetch")]


def test_expired_tokens_are_renewed_once_for_requests_made_together(run_module) -> None:
    expired = json.dumps({"id_token": "old", "refresh_token": "refresh-1", "expires_at": 0})
    outcome = run_session(run_module, search="", stored={"playground.tokens": expired}, script="""
      const session = module.hostedUiSession(CONFIG);
      const tokens = await Promise.all([session.idToken(), session.idToken(), session.idToken()]);
      console.log(JSON.stringify({tokens, calls}));
    """)
    assert outcome["tokens"] == ["new-id-token"] * 3
    refreshes = [call for call in outcome["calls"] if "grant_type=refresh_token" in call]
    assert len(refreshes) == 1, outcome["calls"]


def test_sign_out_revokes_the_refresh_token_and_forgets_the_tokens_and_a_pending_sign_in(run_module) -> None:
    # Without the revocation the refresh token (deleted from the tab only) could mint tokens for session_hours more.
    tokens = json.dumps({"id_token": "t", "refresh_token": "r", "expires_at": 10**15})
    outcome = run_session(run_module, search="", stored={"playground.tokens": tokens,
                                                          "playground.pkce": '{"state":"s","verifier":"v"}'}, script="""
      const sent = [];
      const record = globalThis.fetch;
      globalThis.fetch = (to, init) => { sent.push(init.keepalive === true); return record(to, init); };
      module.hostedUiSession(CONFIG).signOut();
      console.log(JSON.stringify({left: [...store.keys()], calls, keepalive: sent}));
    """)
    assert outcome["left"] == []
    revoke, navigation = outcome["calls"]
    # Amazon Cognito Developer Guide, "The token revocation endpoint": POST, form-encoded token and client_id.
    assert revoke == "fetch https://auth.example/oauth2/revoke token=r&client_id=client-1"
    assert outcome["keepalive"] == [True]  # outlives the navigation to /logout
    assert navigation.startswith("navigate https://auth.example/logout?client_id=client-1&logout_uri=")
