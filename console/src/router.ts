/** Hash routes (#/sessions/default/demo): the server serves one page, and links survive reloads. */
import { useEffect, useState } from "preact/hooks";

/** The current route as decoded path segments, e.g. ["sessions", "default", "demo"]. */
export function currentRoute(): string[] {
  return location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
}

/** The href of a route from its segments. */
export function href(...segments: string[]): string {
  return "#/" + segments.map((s) => encodeURIComponent(s)).join("/");
}

/** Goes to a route. */
export function navigate(...segments: string[]): void {
  location.hash = href(...segments).slice(1);
}

/** The current route, re-rendering on change. */
export function useRoute(): string[] {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
