import { test, expect } from "@playwright/test";

// The demo clinic that `server seed-demo` loads: 8 doctors, one of them in cardiology.
const CLINIC = "Riverside Family Clinic";
const DOCTOR_COUNT = 8;

test("the server renders the page before any script runs", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome to ${CLINIC}`);
  await expect(page.getByRole("list", { name: "Doctors" }).getByRole("listitem")).toHaveCount(DOCTOR_COUNT);
  await expect(page.locator("body")).not.toHaveAttribute("data-hydrated", "true");
  await context.close();
});

test("the page hydrates and the doctor search filters in the browser", async ({ page }) => {
  const serverCalls: string[] = [];
  page.on("request", (req) => {
    if (req.url().includes("/api/")) serverCalls.push(req.url());
  });
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  const doctors = page.getByRole("list", { name: "Doctors" }).getByRole("listitem");
  const search = page.getByLabel("Search by name, specialty or language");
  await expect(doctors).toHaveCount(DOCTOR_COUNT);

  await search.fill("cardio");
  await expect(doctors).toHaveCount(1);
  await expect(doctors.first()).toContainText("Dr. Ada Okafor");
  await expect(page.getByRole("status")).toHaveText(`Showing 1 of ${DOCTOR_COUNT} doctors`);

  // Accents and case are ignored: "jose" finds "José Martínez".
  await search.fill("JOSE");
  await expect(doctors).toHaveCount(1);
  await expect(doctors.first()).toContainText("José Martínez");

  await search.fill("family");
  await expect(doctors).toHaveCount(2);

  // The languages a doctor speaks are searched too.
  await search.fill("spanish");
  await expect(doctors).toHaveCount(1);
  await expect(doctors.first()).toContainText("Speaks Spanish, English");

  await search.fill("no such doctor");
  await expect(doctors).toHaveCount(0);
  await expect(page.getByText("No doctor matches “no such doctor”.")).toBeVisible();

  await search.fill("");
  await expect(doctors).toHaveCount(DOCTOR_COUNT);

  // Filtering happened in the browser: the list came with the page, no server calls.
  expect(serverCalls).toEqual([]);
});

test("portal navigation is client-side and guarded portals ask to sign in", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate(() => ((window as any).__sameDocument = true));

  const portals = page.getByRole("navigation", { name: "Portals" });
  await portals.getByRole("link", { name: "Doctors" }).click();
  await expect(page).toHaveURL(/\/login\?next=\/doctor$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sign in");

  await portals.getByRole("link", { name: "Staff" }).click();
  await expect(page).toHaveURL(/\/login\?next=\/admin$/);
  await expect(page).toHaveTitle("Sign in · Clinic Scheduler");

  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});

test("the bundle is content-named, compressed and cached for good", async ({ request }) => {
  const html = await (await request.get("/")).text();
  const js = html.match(/href="(\/pkg\/clinic\.[0-9a-f]{16}\.js)"/)?.[1];
  const wasm = html.match(/href="(\/pkg\/clinic\.[0-9a-f]{16}\.wasm)"/)?.[1];
  const css = html.match(/href="(\/pkg\/clinic\.[0-9a-f]{16}\.css)"/)?.[1];
  expect([js, wasm, css].every(Boolean), "hashed bundle names in the page").toBe(true);
  for (const [path, type] of [[wasm!, "application/wasm"], [js!, "javascript"], [css!, "text/css"]]) {
    const response = await request.get(path, { headers: { "accept-encoding": "br, gzip" } });
    expect(response.status(), path).toBe(200);
    expect(response.headers()["content-type"], path).toContain(type);
    expect(response.headers()["content-encoding"], path).toBe("br");
    expect(response.headers()["cache-control"], path).toBe("public, max-age=31536000, immutable");
    const plain = await request.get(path, { headers: { "accept-encoding": "identity" } });
    expect(plain.headers()["content-encoding"], path).toBeUndefined();
  }
  // Pages carry patient data: never stored.
  expect((await request.get("/")).headers()["cache-control"]).toBe("no-store");
});

test("unknown pages answer 404 with a helpful page", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
});

test("health and readiness probes answer", async ({ request }) => {
  expect((await request.get("/healthz")).status()).toBe(200);
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  expect(await ready.text()).toBe("ready");
});
