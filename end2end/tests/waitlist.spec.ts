import { test, expect, Browser, Page } from "@playwright/test";
import {
  expectAccessible,
  expectNoHorizontalScroll,
  firstOpenWeek,
  hydrated,
  readMail,
  screenshot,
  signInStaff,
  signUp,
  uniqueEmail,
} from "./helpers";

/** A new patient in a browser of their own, signed up and signed in. */
async function patient(browser: Browser, prefix: string): Promise<{ page: Page; email: string }> {
  const page = await (await browser.newContext()).newPage();
  const email = uniqueEmail(prefix);
  await signUp(page, email, "/book");
  return { page, email };
}

/** Books the first open time `weeksOut` weeks after the first open week; returns the
 *  visit's page URL and its time in the clinic's words. */
async function bookWeeksOut(page: Page, weeksOut: number): Promise<{ url: string; when: string; start: string }> {
  await page.goto("/book");
  await firstOpenWeek(page);
  for (let i = 0; i < weeksOut; i++) {
    const label = await page.locator(".week-label").textContent();
    await page.getByRole("link", { name: "Later days →" }).click();
    await expect(page.locator(".week-label")).not.toHaveText(label!);
  }
  await page.locator("ul.times button.time").first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  const when = (await page.locator("dl.details dd").first().innerText()).split(" (")[0].trim();
  const start = (await page.locator("dl.details").getAttribute("data-start"))!;
  return { url: new URL(page.url()).pathname, when, start };
}

async function askForEarlier(page: Page, url: string, shot?: () => Promise<void>) {
  await page.goto(url);
  await hydrated(page);
  await page.getByText("Tell me if an earlier time opens").click();
  await expect(page.getByRole("group", { name: /Which days suit you/ })).toBeVisible();
  if (shot) await shot();
  await page.getByRole("button", { name: "Put me on the waitlist" }).click();
  await expect(page.getByRole("status").filter({ hasText: "You are on the waitlist for an earlier time" })).toBeVisible();
}

function escape(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The offer link in the newest offer mail to `email` for the time `when`. */
async function offerLink(page: Page, email: string, when: string): Promise<string> {
  const mail = await readMail(page.context().browser(), email, new RegExp(`An earlier time is free: ${escape(when)}`));
  const link = new URL(mail.match(/https?:\/\/\S+\/offer\?token=[A-Za-z0-9_-]+/)![0]);
  return link.pathname + link.search;
}

test("a cancelled time is offered to the waitlist: the first to take it gets it, the next is told", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(180_000);
  const a = await patient(browser, "wl-a");
  const b = await patient(browser, "wl-b");
  const c = await patient(browser, "wl-c");
  // A books a time a week out; B and C have later visits and ask for an earlier one.
  const freed = await bookWeeksOut(a.page, 1);
  const bVisit = await bookWeeksOut(b.page, 3);
  const cVisit = await bookWeeksOut(c.page, 4);
  await askForEarlier(b.page, bVisit.url, async () => {
    await expectAccessible(b.page, "the waitlist form");
    await screenshot(b.page, testInfo, "waitlist-form");
  });
  await expectAccessible(b.page, "visit page on the waitlist");
  await screenshot(b.page, testInfo, "waitlist-joined");
  await askForEarlier(c.page, cVisit.url);

  // A cancels: the time goes to the waitlist within seconds.
  await a.page.goto(freed.url);
  await hydrated(a.page);
  await a.page.getByText("Cancel appointment").click();
  await a.page.getByRole("button", { name: "Yes, cancel this appointment" }).click();
  await expect(a.page.getByRole("status").filter({ hasText: "Your appointment is cancelled." })).toBeVisible();
  const bLink = await offerLink(b.page, b.email, freed.when);
  const cLink = await offerLink(c.page, c.email, freed.when);

  // B opens the link (no change yet), sees the offer and takes it.
  await b.page.goto(bLink);
  await hydrated(b.page);
  await expect(b.page.locator(".offer-when")).toHaveText(freed.when);
  await expectAccessible(b.page, "offer");
  await expectNoHorizontalScroll(b.page);
  await screenshot(b.page, testInfo, "waitlist-offer");
  await b.page.getByRole("button", { name: "Take this time" }).click();
  await expect(b.page).toHaveURL(/\/offer\/taken/);
  await expect(b.page.getByRole("status").filter({ hasText: `It's yours: your visit is now on ${freed.when}` })).toBeVisible();
  await screenshot(b.page, testInfo, "waitlist-taken");
  // B's visit is now at the freed time (the same visit, moved).
  await b.page.goto(bVisit.url);
  await expect(b.page.locator("dl.details")).toHaveAttribute("data-start", freed.start);

  // C's link now says someone was quicker, and C can leave the list from it.
  await c.page.goto(cLink);
  await hydrated(c.page);
  await expect(c.page.getByRole("status").filter({ hasText: "Someone else took this time first" })).toBeVisible();
  await expect(c.page.getByRole("button", { name: "Take this time" })).toHaveCount(0);
  await screenshot(c.page, testInfo, "waitlist-taken-by-other");
  await c.page.getByText("I no longer need an earlier time").click();
  await c.page.getByRole("button", { name: "Take me off the waitlist" }).click();
  await expect(c.page.getByRole("status").filter({ hasText: "You are off the waitlist" })).toBeVisible();
  await c.page.goto("/appointments");
  await hydrated(c.page);
  await expect(c.page.getByRole("heading", { name: "On the waitlist" })).toHaveCount(0);

  // From the finder, C asks for any time of the visit type instead.
  await c.page.goto("/book");
  await firstOpenWeek(c.page);
  await c.page.getByText("Nothing suits? Join the waitlist").click();
  await c.page.getByRole("button", { name: "Join the waitlist" }).click();
  await expect(c.page).toHaveURL(/\/appointments$/);
  const place = c.page.locator("section.waitlist-places li").filter({ hasText: "Any time for a Standard visit" });
  await expect(place).toHaveCount(1);
  const entry = (await place.getAttribute("data-waitlist-entry-id"))!;

  // Staff see who waits, and can take someone off.
  const staff = await (await browser.newContext()).newPage();
  await signInStaff(staff, "admin@riverside.test", "/admin/waitlist");
  await expect(staff.getByRole("heading", { name: "Waitlist", level: 1 })).toBeVisible();
  await hydrated(staff);
  const row = staff.locator(`tr[data-waitlist-entry-id="${entry}"]`);
  await expect(row).toContainText("Standard: any time");
  await expect(staff.getByText(/freed times re-filled from the waitlist in 30 days/)).toBeVisible();
  await expectAccessible(staff, "staff waitlist");
  await screenshot(staff, testInfo, "waitlist-staff");
  await row.getByRole("button", { name: /^Take off the waitlist/ }).click();
  await expect(row).toHaveCount(0);
});
