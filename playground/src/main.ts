// Boot: /config.json -> sign-in mode -> the catalog (use cases, models) -> the screens.
import { Api } from "./api";
import { createAuth } from "./auth";
import { loadConfig } from "./config";
import { h, replaceChildren } from "./dom";
import { errorView } from "./errors";
import { useCaseList } from "./screens/use-cases";
import type { UseCase } from "./types";

async function boot(): Promise<void> {
  const main = document.getElementById("main") as HTMLElement;
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replaceChildren(main, h("div", { class: "error", role: "alert" }, h("p", {}, String(error))));
    return;
  }
  const environment = document.getElementById("environment") as HTMLElement;
  environment.textContent = `Environment: ${config.environment}`;
  environment.hidden = false;
  (document.getElementById("local-banner") as HTMLElement).hidden = !config.local;

  const auth = createAuth(config);
  const api = new Api(config.api_base, auth);
  try {
    const { use_cases } = await api.get<{ use_cases: UseCase[] }>("/use-cases");
    replaceChildren(main, useCaseList(use_cases));
  } catch (error) {
    replaceChildren(main, errorView(error, auth));
  }
}

void boot();
