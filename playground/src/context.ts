import type { Api } from "./api";
import type { Auth } from "./auth";
import type { Catalog } from "./types";

/** What every screen gets: the API client, sign-in, and the catalog loaded once at boot. */
export interface Context {
  api: Api;
  auth: Auth;
  catalog: Catalog;
}
