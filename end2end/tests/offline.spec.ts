import { test, expect, chromium, Page } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expectAccessible, firstOpenWeek, hydrated, screenshot, signUp, sql, uniqueEmail } from "./helpers";

/** Waits until the service worker controls the page (after its first install the page is
 *  claimed without a reload). */
async function controlled(page: Page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 20_000 }).toBe(true);
}

/** Names of the per-patient offline caches on this device. */
async function savedVisitCaches(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith("visits-")));
}

/** Width and height of a PNG, from its header. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString("ascii")).toBe("PNG");
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test("the app is installable: a manifest with generated icons, and a worker controlling the page", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  await page.goto("/");
  await hydrated(page);

  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href).toMatch(/^\/pkg\/app\.[0-9a-f]{16}\.webmanifest$/);
  const manifestResponse = await page.request.get(href!);
  expect(manifestResponse.headers()["content-type"]).toContain("application/manifest+json");
  expect(manifestResponse.headers()["cache-control"]).toContain("immutable");
  const manifest = await manifestResponse.json();
  expect(manifest.display).toBe("standalone");
  expect(manifest.start_url).toBe("/");
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
  const sizes = manifest.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
  expect(sizes).toEqual(["192x192 any", "512x512 any", "512x512 maskable"]);
  for (const icon of manifest.icons) {
    const response = await page.request.get(icon.src);
    expect(response.headers()["content-type"]).toBe("image/png");
    expect(response.headers()["cache-control"]).toContain("immutable");
    const side = Number(icon.sizes.split("x")[0]);
    expect(pngSize(await response.body())).toEqual([side, side]);
  }

  // The worker: revalidated, never cached for long; the pages stay no-store.
  const worker = await page.request.get("/sw.js");
  expect(worker.headers()["cache-control"]).toBe("no-cache");
  expect(await worker.text()).not.toContain('const VERSION = "dev"');
  expect((await page.request.get("/")).headers()["cache-control"]).toBe("no-store");

  await controlled(page);
  // Chromium's own installability verdict (Lighthouse 12 no longer has one), in a real
  // profile: nothing is installable from an incognito window, which test contexts are.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "clinic-install-"));
  const installed = await chromium.launchPersistentContext(profile, {
    ...testInfo.project.use.launchOptions,
    baseURL: testInfo.project.use.baseURL,
  });
  try {
    const app = installed.pages()[0] ?? (await installed.newPage());
    await app.goto("/");
    await hydrated(app);
    await controlled(app);
    const cdp = await installed.newCDPSession(app);
    await expect
      .poll(async () => (await cdp.send("Page.getInstallabilityErrors")).installabilityErrors, { timeout: 20_000 })
      .toEqual([]);
  } finally {
    await installed.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  // The worker's cache holds the shell and the bundle only: no page, no answer.
  const shell = await page.evaluate(async () => {
    const names = await caches.keys();
    const name = names.find((n) => n.startsWith("shell-"))!;
    const keys = await (await caches.open(name)).keys();
    return keys.map((r) => new URL(r.url).pathname);
  });
  expect(shell).toContain("/offline.html");
  for (const path of shell) {
    expect(path, "precached").toMatch(/^\/(offline\.html|offline\.js|favicon\.svg|pkg\/[\w-]+\.[0-9a-f]{16}\.\w+)$/);
  }

  // The install offer: shown when the browser offers, dismissed for good.
  const offer = () =>
    page.evaluate(() => {
      const event = new Event("beforeinstallprompt", { cancelable: true });
      (event as any).prompt = () => ((window as any).__prompted = true);
      window.dispatchEvent(event);
    });
  await offer();
  const bar = page.locator(".install-prompt");
  await expect(bar).toBeVisible();
  await expectAccessible(page, "the install offer");
  await screenshot(page, testInfo, "install-offer");
  await bar.getByRole("button", { name: "Install the app" }).click();
  expect(await page.evaluate(() => (window as any).__prompted)).toBe(true);
  await expect(bar).toBeHidden();
  await offer();
  await bar.getByRole("button", { name: "No thanks" }).click();
  await expect(bar).toBeHidden();
  await page.reload();
  await hydrated(page);
  await offer();
  await page.waitForTimeout(300);
  await expect(bar).toBeHidden();
});

test("a signed-in patient reads their visits offline; once signed out, nothing of theirs", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(180_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail("offline");
  await signUp(page, email, "/book");

  // Book the first open time.
  await firstOpenWeek(page);
  await page.locator("ul.times button.time").first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  const id = new URL(page.url()).pathname.split("/").pop()!;
  const when = (await page.locator("dl.details dd").nth(0).textContent())!.trim();
  const doctor = (await page.locator("dl.details dd").nth(2).textContent())!.trim();

  // Someone else's visits left on this device (as if saved before): this patient's next
  // page removes them and keeps only their own.
  await page.evaluate(async () => {
    const cache = await caches.open("visits-00000000000000aa");
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const visit = { id: 1, when: "Someone else's time", start: until, end: until, booked: true, status: "Booked",
      type_name: "Standard", visit: "Standard (30 minutes)", doctor_name: "Dr. Someone Else", for_name: null,
      clinic_note: null, confirmed: false, seen_at: until };
    await cache.put("/offline/visits.json", new Response(JSON.stringify({ saved_at: until, until, where: "", visits: [visit] })));
  });
  await page.goto("/appointments");
  await hydrated(page);
  await controlled(page);
  const item = page.locator(`li.appointment[data-appointment-id="${id}"]`);
  await expect(item).toBeVisible();
  const line = (await item.locator("p").nth(1).textContent())!.trim();
  await expect.poll(() => savedVisitCaches(page)).toHaveLength(1);
  expect(await savedVisitCaches(page)).not.toContain("visits-00000000000000aa");

  // Offline: the list and the visit as last seen, with the banner.
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator("#offline-banner")).toContainText(/Offline — shown as of .+; changes need a connection\./);
  await expect(page.getByRole("heading", { name: "My appointments" })).toBeVisible();
  await expect(item).toBeVisible();
  await expect(item).toContainText(line);
  await expect(item.locator("p.when")).toHaveText(when.replace(/ \(.*your time\)$/, ""));
  await expectAccessible(page, "my appointments offline");
  await screenshot(page, testInfo, "offline-appointments");
  await item.getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/appointments/${id}$`));
  await expect(page.getByRole("heading", { name: "Your appointment" })).toBeVisible();
  await expect(page.locator("dl.details")).toContainText(doctor);
  await expect(page.locator("#offline-banner")).toContainText("changes need a connection");
  await screenshot(page, testInfo, "offline-visit");
  // (Chromium offline now and then drops a navigation started right after another: again.)
  await expect(async () => {
    await page.goto("/book");
    await expect(page.locator("#offline-banner")).toHaveText("Offline — finding a time needs a connection.", { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });

  // Back online, the offline page loads the real one by itself.
  const reloaded = page.waitForEvent("load");
  await context.setOffline(false);
  await reloaded;
  await hydrated(page);
  await expect(page.locator("#offline-banner")).toHaveCount(0);

  // A page loaded online that loses its connection: the banner, and every form disabled.
  await page.goto(`/appointments/${id}`);
  await hydrated(page);
  const buttons = page.locator("main form button");
  expect(await buttons.count()).toBeGreaterThan(0);
  await context.setOffline(true);
  await expect(page.locator("p.offline-banner")).toContainText(/Offline — shown as of .+; changes need a connection\./);
  for (const button of await buttons.all()) await expect(button).toBeDisabled();
  await context.setOffline(false);
  await expect(page.locator("p.offline-banner")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "I'll be there" })).toBeEnabled();

  // The session ends on the server (as after a password change elsewhere): the next page
  // empties what was saved.
  sql(`update users set sessions_valid_after = now() where email = '${email}'`);
  await page.goto("/appointments");
  await hydrated(page);
  await expect.poll(() => savedVisitCaches(page)).toHaveLength(0);

  // Signed in again, the visits are saved again; signing out empties them.
  await page.goto("/login?next=/appointments");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/appointments$/);
  await expect(item).toBeVisible();
  await expect.poll(() => savedVisitCaches(page)).toHaveLength(1);
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect.poll(() => savedVisitCaches(page)).toHaveLength(0);

  await context.setOffline(true);
  await page.goto("/appointments");
  await expect(page.getByText("Nothing is saved on this device.")).toBeVisible();
  await expect(page.locator("li.appointment")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(doctor);
  await expect(page.locator("body")).not.toContainText("Someone Else");
  await expect(async () => {
    await page.goto("/book");
    await expect(page.locator("#offline-banner")).toHaveText("Offline — finding a time needs a connection.", { timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator("main")).not.toContainText("null");
  await expect(page.locator("main a", { hasText: "My appointments" })).toHaveCount(0);
  await context.close();
});
