// Uses every method of the package the way the README shows. This file must
// type-check with `tsc --strict`.
import init, {
  createAuthClient,
  type AuthClient,
  type AuthClientError,
  type AuthResult,
  type ClientOptions,
  type Session,
  type SessionWithUser,
  type User,
  type VerifiedToken,
} from "ott-client";

function describe(error: AuthClientError): string {
  const status: number = error.status;
  const statusText: string = error.statusText;
  const code: string = error.code;
  return `${status} ${statusText} ${code}: ${error.message}`;
}

async function walkThrough(client: AuthClient): Promise<string[]> {
  const log: string[] = [];

  const signedUp = await client.signUp.email({ name: "Ada", email: "ada@example.test", password: "correct horse" });
  if (signedUp.error) {
    log.push(describe(signedUp.error));
  } else {
    const user: User = signedUp.data.user;
    const token: string | null = signedUp.data.token;
    log.push(`${user.email} ${user.emailVerified} ${user.image ?? "no image"} ${token}`);
  }

  const signedIn = await client.signIn.email({ email: "ada@example.test", password: "correct horse", rememberMe: false });
  if (!signedIn.error) {
    const redirect: boolean = signedIn.data.redirect;
    log.push(`${signedIn.data.token} ${redirect}`);
  }

  const { data: generated, error: generateError } = await client.oneTimeToken.generate();
  if (generateError) {
    log.push(describe(generateError));
    return log;
  }
  const oneTimeToken: string = generated.token;

  const verified: AuthResult<VerifiedToken> = await client.oneTimeToken.verify({ token: oneTimeToken });
  if (verified.data) {
    const session: Session = verified.data.session;
    const newSessionToken: string | null = verified.data.token;
    log.push(`${session.userId} ${session.expiresAt} ${session.ipAddress ?? "-"} ${newSessionToken}`);
  }

  const current = await client.getSession();
  if (current.error === null) {
    const maybe: SessionWithUser | null = current.data;
    log.push(maybe === null ? "signed out" : maybe.user.name);
  }

  const sessions = await client.listSessions();
  if (!sessions.error) {
    for (const session of sessions.data) {
      const revoked = await client.revokeSession({ token: session.token });
      log.push(String(revoked.data?.status));
    }
  }

  const signedOut = await client.signOut();
  log.push(signedOut.error ? signedOut.error.message : String(signedOut.data.success));
  return log;
}

export async function main(): Promise<string[]> {
  await init();
  const options: ClientOptions = {
    baseURL: "https://api.example.test",
    basePath: "/api/auth",
    fetchOptions: { credentials: "omit", headers: { Authorization: "Bearer abc" } },
  };
  const client = createAuthClient(options);
  const minimal = createAuthClient({ baseURL: "https://api.example.test" });
  minimal.free();
  return walkThrough(client);
}
