// Environments whose API uses IAM (SigV4) authorization. How the playground signs in there is pg-infra's
// decision (issue 16); until it lands, the page says so instead of sending unsigned requests.
import type { AuthConfig } from "../config";
import type { Auth } from "./types";

export function iamAuth(_config: AuthConfig): Auth {
  return {
    mode: "iam",
    canSignIn: false,
    user: () => null,
    headers: async () => {
      throw new Error("this environment's API uses IAM authorization, which the playground does not sign yet");
    },
    signIn: async () => {},
    signOut: () => {},
  };
}
