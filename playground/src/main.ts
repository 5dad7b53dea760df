// Boot: /config.json -> sign-in mode -> the catalog (use cases, models) -> the screens, one per #hash.
import { Api } from "./api";
import { createAuth, type Auth } from "./auth";
import { loadConfig } from "./config";
import type { Context } from "./context";
import { h, replaceChildren } from "./dom";
import { errorView } from "./errors";
import { chatScreen } from "./screens/chat";
import { compareScreen } from "./screens/compare";
import { generateScreen } from "./screens/generate";
import { moderateScreen } from "./screens/moderate";
import type { KnowledgeBase, Model, UseCase } from "./types";

const SCREENS: { id: string; title: string; build: (ctx: Context) => HTMLElement }[] = [
  { id: "generate", title: "Generate", build: generateScreen },
  { id: "compare", title: "Compare models", build: compareScreen },
  { id: "chat", title: "Chat", build: chatScreen },
  { id: "moderate", title: "Moderate", build: moderateScreen },
];

function byId(id: string): HTMLElement {
  return document.getElementById(id) as HTMLElement;
}

function accountView(auth: Auth): HTMLElement | null {
  if (!auth.canSignIn) return null;
  const user = auth.user();
  return user
    ? h("p", { class: "account" }, `Signed in as ${user} `, h("button", { type: "button", onclick: () => auth.signOut() }, "Sign out"))
    : h("p", { class: "account" }, h("button", { type: "button", onclick: () => void auth.signIn() }, "Sign in"));
}

function mountScreens(ctx: Context, main: HTMLElement, nav: HTMLElement): void {
  const sections = new Map<string, HTMLElement>();
  const links = SCREENS.map((screen) => h("a", { href: `#${screen.id}` }, screen.title));
  replaceChildren(nav, h("ul", {}, links.map((link) => h("li", {}, link))));
  replaceChildren(main);

  const show = (moveFocus: boolean) => {
    const named = SCREENS.find((screen) => `#${screen.id}` === location.hash);
    // Another fragment (the skip link's #main) names no screen: the current one stays. No fragment: the first.
    if (!named && location.hash && moveFocus) return;
    const current = named ?? SCREENS[0];
    if (!sections.has(current.id)) {
      const heading = h("h2", { id: `${current.id}-heading`, tabindex: -1 }, current.title);
      const section = h("section", { "aria-labelledby": heading.id }, heading, current.build(ctx));
      sections.set(current.id, section);
      main.append(section);
    }
    for (const [id, section] of sections) section.hidden = id !== current.id;
    links.forEach((link, index) => {
      if (SCREENS[index] === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    document.title = `${current.title} · genai-stack playground`;
    if (moveFocus) byId(`${current.id}-heading`).focus();
  };
  window.addEventListener("hashchange", () => show(true));
  show(false);
}

async function boot(): Promise<void> {
  const main = byId("main");
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replaceChildren(main, errorView(error, { canSignIn: false } as Auth));
    return;
  }
  const environment = byId("environment");
  environment.textContent = `Environment: ${config.environment}`;
  environment.hidden = false;
  byId("local-banner").hidden = !config.local;

  const auth = createAuth(config);
  const api = new Api(config.api_base, auth);
  try {
    const [{ use_cases }, { models }, { knowledge_bases }] = await Promise.all([
      api.get<{ use_cases: UseCase[] }>("/use-cases"),
      api.get<{ models: Model[] }>("/models"),
      api.get<{ knowledge_bases: KnowledgeBase[] }>("/knowledge-bases"),
    ]);
    byId("account").replaceChildren(accountView(auth) ?? "");
    mountScreens({ api, auth, catalog: { useCases: use_cases, models, knowledgeBases: knowledge_bases } }, main, byId("nav"));
  } catch (error) {
    byId("account").replaceChildren(accountView(auth) ?? "");
    replaceChildren(main, errorView(error, auth));
  }
}

void boot();
