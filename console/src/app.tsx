/** The console's frame: login gate, navigation and the page for the current route. */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { AgentPage, AgentsPage } from "./pages/agents.js";
import { AuditPage } from "./pages/audit.js";
import { LoginPage } from "./pages/login.js";
import { NamespacesPage } from "./pages/namespaces.js";
import { SecretsPage } from "./pages/secrets.js";
import { SessionsPage } from "./pages/sessions.js";
import { href, useRoute } from "./router.js";
import { SessionPage } from "./session/session-page.js";
import { getToken, onTokenChange, setToken } from "./token.js";

const sections = [
  ["sessions", "Sessions"],
  ["agents", "Agents"],
  ["secrets", "Secrets"],
  ["namespaces", "Namespaces"],
  ["audit", "Audit log"],
] as const;

function Page({ route }: { route: string[] }) {
  const [section = "sessions", namespace, name] = route;
  if (section === "sessions" && namespace && name) return <SessionPage key={`${namespace}/${name}`} namespace={namespace} name={name} />;
  if (section === "agents" && namespace && name) return <AgentPage key={`${namespace}/${name}`} namespace={namespace} name={name} />;
  switch (section) {
    case "agents":
      return <AgentsPage />;
    case "secrets":
      return <SecretsPage />;
    case "namespaces":
      return <NamespacesPage />;
    case "audit":
      return <AuditPage />;
    default:
      return <SessionsPage />;
  }
}

/** The whole console. */
export function App() {
  const [token, setTokenState] = useState(getToken);
  const route = useRoute();
  useEffect(() => onTokenChange(() => setTokenState(getToken())), []);
  if (!token) return <LoginPage />;
  const logout = () => {
    api.auth.logout({}).catch(() => undefined);
    setToken(null);
  };
  return (
    <div class="frame">
      <header class="topbar">
        <a class="brand" href={href("sessions")}>
          Raworc
        </a>
        <nav>
          {sections.map(([id, label]) => (
            <a key={id} href={href(id)} class={(route[0] ?? "sessions") === id ? "active" : ""}>
              {label}
            </a>
          ))}
          <a href="/docs/" target="_blank" rel="noopener noreferrer">
            API docs
          </a>
        </nav>
        <button type="button" class="link" onClick={logout}>
          Log out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </div>
  );
}
