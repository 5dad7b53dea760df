import type { Auth } from "./types";

/** Local dev server: sign-in is stubbed server-side, so requests carry no credentials. */
export function stubAuth(): Auth {
  return {
    canSignIn: false,
    user: () => "local user",
    headers: async () => ({}),
    signIn: async () => {},
    signOut: () => {},
  };
}
