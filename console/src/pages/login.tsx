/** Log in with a service account's username and password. */
import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { setToken } from "../token.js";

/** The login form. */
export function LoginPage() {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      setToken((await api.auth.login({ username, password })).token);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="login card" onSubmit={(e) => void submit(e)}>
      <h1>Raworc</h1>
      <label>
        Username
        <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
      </label>
      <label>
        Password
        <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
      </label>
      {error && <p class="error">{error}</p>}
      <button type="submit" disabled={busy}>
        Log in
      </button>
    </form>
  );
}
