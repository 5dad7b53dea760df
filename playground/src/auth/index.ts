import type { PlaygroundConfig } from "../config";
import { cognitoAuth } from "./cognito";
import { iamAuth } from "./iam";
import { stubAuth } from "./stub";
import type { Auth } from "./types";

export type { Auth } from "./types";

/** The sign-in of the environment's mode (config.json auth.mode). */
export function createAuth(config: PlaygroundConfig): Auth {
  switch (config.auth.mode) {
    case "cognito":
      return cognitoAuth(config.auth);
    case "iam":
      return iamAuth(config.auth);
    default:
      return stubAuth();
  }
}
