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
  const search = page.getByLabel("Search by name or specialty");
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

test("static assets are served with the right types", async ({ request }) => {
  const wasm = await request.get("/pkg/clinic_bg.wasm");
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-type"]).toBe("application/wasm");

  const js = await request.get("/pkg/clinic.js");
  expect(js.status()).toBe(200);
  expect(js.headers()["content-type"]).toContain("javascript");

  const css = await request.get("/pkg/clinic.css");
  expect(css.status()).toBe(200);
  expect(css.headers()["content-type"]).toContain("text/css");
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
