// What the API client needs from sign-in, whatever the environment's mode (stub, cognito, iam).

export interface Auth {
  /** Whether the page can send the user to a sign-in page (false for the local stub). */
  readonly canSignIn: boolean;
  /** The signed-in user's display name, or null when signed out. */
  user(): string | null;
  /** Headers that authenticate one API request. IAM signs the method, URL and body (SigV4). */
  headers(method: string, url: URL, body: string | undefined): Promise<Record<string, string>>;
  /** A 403's message said the request's signature time was off (SigV4): sign on the server's clock from now on and
   * answer true (the request is worth sending again). Only signing modes have it. */
  adoptServerClock?(message: string): boolean;
  signIn(): Promise<void>;
  signOut(): void;
}
