import { test, expect, Browser } from "@playwright/test";
import { hydrated } from "./helpers";

// Several visitors at once: every page of every visitor comes alive (hydrates). Before the
// fix a concurrent stylesheet request could take a page's Content-Security-Policy, and the
// browser then blocked that page's hydration script.

async function visitor(browser: Browser, email: string | null, paths: string[]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/.test(message.text())) blocked.push(message.text());
  });
  if (email) {
    await page.goto("/login");
    await hydrated(page);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("clinic-demo-2026");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).not.toHaveURL(/\/login/);
  }
  const dead: string[] = [];
  for (const path of paths) {
    await page.goto(path);
    try {
      await hydrated(page);
    } catch {
      dead.push(path);
    }
  }
  await context.close();
  return { who: email ?? "anonymous", dead, blocked };
}

test("pages hydrate for several visitors at once", async ({ browser }) => {
  test.setTimeout(180_000);
  const paths = ["/", "/book", "/login", "/book?type=2", "/"];
  const patientPaths = ["/appointments", "/book", "/profile", "/", "/appointments"];
  const results = await Promise.all([
    visitor(browser, null, paths),
    visitor(browser, null, [...paths].reverse()),
    visitor(browser, "alice@example.test", patientPaths),
    visitor(browser, "ben@example.test", [...patientPaths].reverse()),
  ]);
  for (const r of results) {
    expect(r.dead, `${r.who}: pages that never came alive`).toEqual([]);
    expect(r.blocked, `${r.who}: blocked by the page's policy`).toEqual([]);
  }
});
