// Misuses the package. `tsc --strict` must reject this file, and check.sh
// requires each error that a `// expect TSnnnn` comment names, on that line.
import { AuthClient, createAuthClient } from "ott-client";

createAuthClient({ basePath: "/api/auth" }); // expect TS2741

createAuthClient({ baseURL: "https://api.example.test", fetchOptions: { credentials: "sometimes" } }); // expect TS2322

createAuthClient({ baseURL: "https://api.example.test", fetchOptions: { headers: 42 } }); // expect TS2322

new AuthClient(); // expect TS2673

export async function misuse(): Promise<void> {
  const client = createAuthClient({ baseURL: "https://api.example.test" });

  await client.oneTimeToken.verify({ tok: "abc" }); // expect TS2353

  await client.oneTimeToken.verify("abc"); // expect TS2345

  await client.oneTimeToken.generate({ token: "abc" }); // expect TS2554

  await client.signUp.email({ email: "ada@example.test", password: "correct horse" }); // expect TS2741

  await client.signIn.email({ email: "ada@example.test", password: "correct horse", rememberMe: "yes" }); // expect TS2322

  const { data } = await client.oneTimeToken.generate();
  const token: string = data.token; // expect TS18047

  const { error } = await client.getSession();
  if (error) {
    error.status.toUpperCase(); // expect TS2339
  }

  const sessions = await client.listSessions();
  if (!sessions.error) {
    const first: number = sessions.data[0].expiresAt; // expect TS2322
  }

  await client.signOut.email(); // expect TS2339
}
