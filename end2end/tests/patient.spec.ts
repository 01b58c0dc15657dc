import { test, expect } from "@playwright/test";
import * as fs from "node:fs";
import {
  expectAccessible,
  expectNoHorizontalScroll,
  firstOpenWeek,
  hydrated,
  screenshot,
  signUp,
  sql,
  uniqueEmail,
  confirmEmail,
} from "./helpers";

test("a new patient books, sees, downloads, reschedules and cancels a visit", async ({ page }, testInfo) => {
  await signUp(page, uniqueEmail("journey"), "/book");
  await expect(page).toHaveURL(/\/book/);
  await firstOpenWeek(page);
  await expect(page.getByText(/Times are shown in the clinic's time zone, America\/New_York/)).toBeVisible();
  // Switching weeks happens in place: no page reload.
  await page.evaluate(() => ((window as any).__samePage = true));
  const weekLabel = await page.locator(".week-label").textContent();
  await page.getByRole("link", { name: "Later days →" }).click();
  await expect(page.locator(".week-label")).not.toHaveText(weekLabel!);
  await page.getByRole("link", { name: "← Earlier days" }).click();
  await expect(page.locator(".week-label")).toHaveText(weekLabel!);
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
  await expectAccessible(page, "finder");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "book");

  // Choose a time a week out (clear of the change freeze, whatever day the suite runs).
  await page.getByRole("link", { name: "Later days →" }).click();
  await expect(page.locator(".week-label")).not.toHaveText(weekLabel!);
  const times = page.locator("ul.times button.time");
  const chosen = (await times.first().getAttribute("aria-label"))!;
  await times.first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await expect(page.getByRole("timer")).toContainText("We are holding this time for you");
  await expectAccessible(page, "confirm");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "confirm");
  await page.getByLabel("Reason for your visit (optional)").fill("sore knee");
  // A double click books once.
  await page.getByRole("button", { name: "Confirm appointment" }).dblclick();

  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  await expect(page.getByRole("status").filter({ hasText: "You're booked" })).toBeVisible();
  await expect(page.getByText(/^Dr\. /)).toBeVisible();
  const doctor = (await page.getByText(/^Dr\. /).textContent())!.trim();
  await expect(page.getByText("sore knee")).toBeVisible();
  const startIso = (await page.locator("dl.details").getAttribute("data-start"))!;
  // No link here is to this very page (there were two marked current).
  await expect(page.locator('[aria-current="page"]')).toHaveCount(0);
  await expectAccessible(page, "booked");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "booked");

  // The .ics is valid iCalendar with the right UTC times.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Add to calendar (.ics)" }).click(),
  ]);
  const ics = fs.readFileSync((await download.path())!, "utf8");
  expect(ics.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
  // A download is published (no invitation to answer), and says who with and whom to call.
  expect(ics).toContain("METHOD:PUBLISH\r\n");
  expect(ics.replace(/\r\n /g, "")).toMatch(/DESCRIPTION:With Dr\. [^\r]+call/);
  const utc = startIso.replace(/[-:]/g, ""); // 2026-11-24T15:00:00Z → 20261124T150000Z
  expect(ics).toContain(`DTSTART:${utc}\r\n`);
  expect(ics).toMatch(/DTEND:\d{8}T\d{6}Z\r\n/);
  expect(ics).not.toContain("sore knee");

  // It is listed under My appointments, exactly once.
  await page.getByRole("banner").getByRole("link", { name: "My appointments" }).click();
  await expect(page).toHaveURL(/\/appointments$/);
  const upcoming = page.locator("section", { has: page.getByRole("heading", { name: "Upcoming" }) }).locator("li.appointment");
  await expect(upcoming).toHaveCount(1);
  await expect(upcoming.first()).toHaveAttribute("data-start", startIso);
  await expectAccessible(page, "appointments");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "appointments");

  // Reschedule: the same finder, then the move is confirmed.
  await upcoming.first().getByRole("link", { name: "Reschedule" }).click();
  await expect(page).toHaveURL(/reschedule=/);
  await firstOpenWeek(page);
  // A week out, so the moved visit can still be cancelled online below.
  const firstWeek = await page.locator(".week-label").textContent();
  await page.getByRole("link", { name: "Later days →" }).click();
  await expect(page.locator(".week-label")).not.toHaveText(firstWeek!);
  const newTime = page.locator("ul.times a.time:visible").nth(3);
  await newTime.click();
  await expect(page).toHaveURL(/\/book\/move\?/);
  await hydrated(page);
  // The move page says who the visit will be with: the same doctor when free then.
  const moveDoctor = page.locator(".move-doctor");
  await expect(moveDoctor).toContainText(new RegExp(`^${doctor}, as now$|instead of ${doctor}`));
  const willBeWith = (await moveDoctor.textContent())!.match(/^(Dr\. [^,(]+?)(,| \()/)![1];
  await page.getByRole("button", { name: "Move appointment" }).click();
  await expect(page).toHaveURL(/\?moved=1/);
  await expect(page.getByText(/^Dr\. /)).toHaveText(willBeWith);
  const movedIso = (await page.locator("dl.details").getAttribute("data-start"))!;
  expect(movedIso).not.toBe(startIso);

  // Cancel.
  await hydrated(page);
  await page.getByText("Cancel appointment").click();
  await page.getByRole("button", { name: "Yes, cancel this appointment" }).click();
  await expect(page.getByText("Your appointment is cancelled.")).toBeVisible();
  await expect(page.locator("dl.details")).toContainText("Cancelled");
  await expect(page.getByRole("link", { name: "Reschedule" })).toHaveCount(0);

  await page.goto("/profile");
  await hydrated(page);
  await expectAccessible(page, "profile");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "profile");
  await page.getByLabel("Phone (optional)").fill("+1 555 010 1234");
  await page.getByLabel("Send me text messages about my appointments").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  expect(chosen).toContain(" on ");
});

test("an anonymous visitor chooses a time, signs up, and comes back to it", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  await page.goto("/book");
  await firstOpenWeek(page);
  await expectAccessible(page, "finder (anonymous)");
  // The last open day's first time, not the week's first: signing up takes a while, and
  // the first may pass into the two-hour notice meanwhile.
  const time = page
    .locator("section.day")
    .filter({ has: page.locator("ul.times a.time") })
    .last()
    .locator("ul.times a.time")
    .first();
  const label = (await time.getAttribute("aria-label"))!.replace(": create an account or sign in to book", "");
  // Clicks: the time, "Create account", the emailed link's button, "Confirm appointment".
  let clicks = 0;
  await time.click();
  clicks++;
  await expect(page).toHaveURL(/\/signup\?next=/);
  await hydrated(page);
  await expect(page.getByRole("link", { name: "Sign in" }).last()).toHaveAttribute("href", /\/login\?next=\/book%3F/);
  await page.getByLabel("First name").fill("Ann");
  await page.getByLabel("Last name").fill("Onymous");
  const anon = uniqueEmail("anon");
  await page.getByLabel("Email").fill(anon);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  clicks++;
  await confirmEmail(page, anon);
  clicks++;

  // Straight on to the chosen time, reserved.
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  const [clock, day] = label.split(" on ");
  await expect(page.locator("dl.details")).toContainText(clock);
  await expect(page.locator("dl.details")).toContainText(day.split(",")[1].trim());
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  clicks++;
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  expect(clicks).toBe(4);
});

test("a hold left to expire is refused with nearby alternatives", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  await signUp(page, uniqueEmail("expire"), "/book");
  await firstOpenWeek(page);
  await page.locator("ul.times button.time").first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  const token = new URL(page.url()).searchParams.get("hold")!;
  // Let the hold lapse (as if the patient walked away for longer than the hold time).
  sql(`update availability_slots set hold_expires_at = now() - interval '1 second' where hold_token = '${token}'`);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "has run out" });
  await expect(alert).toBeVisible();
  await expect(alert.getByText("These nearby times are open:")).toBeVisible();
  await expect(alert.locator("button.time").first()).toBeVisible();
  await expectAccessible(page, "expired hold");
  await screenshot(page, testInfo, "confirm-expired");
  // Nothing was booked.
  await page.goto("/appointments");
  await expect(page.getByText("You have no upcoming appointments.")).toBeVisible();
});

test("inside the freeze window the change buttons give way to the reason", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  sql("update clinic_settings set change_freeze_minutes = 43200");
  try {
    await signUp(page, uniqueEmail("freeze"), "/book");
    await firstOpenWeek(page);
    await page.locator("ul.times button.time").first().click();
    await expect(page).toHaveURL(/\/book\/confirm/);
    await hydrated(page);
    await page.getByRole("button", { name: "Confirm appointment" }).click();
    await expect(page).toHaveURL(/\?booked=1/);
    await expect(page.getByText(/cannot be changed or cancelled online within 720 hours/)).toBeVisible();
    await expect(page.getByText(/Call Riverside Family Clinic at/)).toBeVisible();
    await expect(page.getByRole("link", { name: "Reschedule" })).toHaveCount(0);
    await expect(page.getByText("Cancel appointment")).toHaveCount(0);
    await screenshot(page, testInfo, "frozen");
  } finally {
    sql("update clinic_settings set change_freeze_minutes = 1440");
  }
});

test("public pages are accessible", async ({ page }, testInfo) => {
  for (const [path, name] of [["/", "home"], ["/login", "login"], ["/signup", "signup"]]) {
    await page.goto(path);
    await hydrated(page);
    await expectAccessible(page, name);
    await expectNoHorizontalScroll(page);
    await screenshot(page, testInfo, name);
  }
});

test("booking works before (and without) the page's script", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/signup?next=/book");
  await page.getByLabel("First name").fill("No");
  await page.getByLabel("Last name").fill("Script");
  const email = uniqueEmail("nojs");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmEmail(page, email);
  await expect(page).toHaveURL(/\/book$/);
  const jump = page.getByRole("link", { name: /first open times/ });
  if (await jump.count()) await jump.click();
  await page.locator("ul.times button.time").first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await expect(page.getByRole("timer")).toContainText("We are holding this time for you");
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  await expect(page.locator("dl.details")).toContainText("Booked");
  await context.close();
});

test("a second tab confirming a time already booked is told where the booking is", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  await signUp(page, uniqueEmail("twotabs"), "/book");
  await firstOpenWeek(page);
  await page.locator("ul.times button.time").first().click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  const second = await page.context().newPage();
  await second.goto(page.url());
  await hydrated(second);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/(\d+)\?booked=1/);
  const id = page.url().match(/\/appointments\/(\d+)/)![1];
  await second.getByRole("button", { name: "Confirm appointment" }).click();
  const alert = second.getByRole("alert").filter({ hasText: "This time is already booked for you." });
  await expect(alert).toBeVisible();
  await expect(alert).not.toContainText("run out");
  await alert.getByRole("link", { name: "See your appointment" }).click();
  await expect(second).toHaveURL(new RegExp(`/appointments/${id}$`));
});

test("the finder opens on the next available time, and a signed-in patient books it in two clicks", async ({ page }) => {
  await signUp(page, uniqueEmail("twoclicks"), "/book");
  await expect(page).toHaveURL(/\/book/);
  await hydrated(page);
  // Never a span of days wholly past or empty: the first day shown has open times.
  await expect(page.locator("section.day").first().locator("ul.times").first()).toBeVisible();
  const next = page.locator(".next-available");
  await expect(next).toContainText("Next available:");
  // One current page for assistive technology (the header's Book link).
  expect(await page.locator('[aria-current="page"]').count()).toBe(1);
  let clicks = 0;
  await next.getByRole("button").click();
  clicks++;
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  // Focus lands on the new page's heading, not on <body>.
  await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  clicks++;
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  expect(clicks).toBe(2);
});

test("a bad phone number on the profile is marked on its field for assistive technology", async ({ page }) => {
  await signUp(page, uniqueEmail("phonefield"), "/profile");
  await page.goto("/profile");
  await hydrated(page);
  const phone = page.getByLabel("Phone (optional)");
  await phone.fill("call me maybe");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(phone).toHaveAttribute("aria-invalid", "true");
  // Focus goes to the field the answer marked (it was left on <body>).
  await expect(phone).toBeFocused();
  const described = (await phone.getAttribute("aria-describedby")) ?? "";
  expect(described).toContain("field-phone-error");
  await expect(page.locator("#field-phone-error")).toContainText("Enter a phone number");
});

test("the finder fits a phone: a strip of the days with openings, a few times per part of the day", async ({ page }, testInfo) => {
  await page.goto("/book");
  await hydrated(page);
  await expect(page.locator("section.day ul.times").first()).toBeVisible();
  const strip = page.getByRole("navigation", { name: "Days with open times" });
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (testInfo.project.name === "phone") {
    // One day at a time: at most two screens (it was 6,118 px, 7.5 screens, for a week).
    await expect(strip).toBeVisible();
    await expect(page.locator("section.day:visible")).toHaveCount(1);
    expect(height).toBeLessThanOrEqual(2 * 812);
    const days = strip.getByRole("link");
    expect(await days.count()).toBeGreaterThan(1);
    await expect(strip.locator('[aria-current="date"]')).toHaveCount(1);
    // Another day, in place: that one shows instead.
    const second = days.nth(1);
    const date = (await second.locator(".strip-date").textContent())!.trim();
    await second.click();
    await expect(second).toHaveAttribute("aria-current", "date");
    // Picked in place: focus stays on the day picked (the week is not rebuilt).
    await expect(second).toBeFocused();
    await expect(page.locator("section.day:visible")).toHaveCount(1);
    await expect(page.locator("section.day:visible h2")).toContainText(new RegExp(` ${date}$`));
    // The header is two short rows (it was 176 px, the account name on three lines).
    const header = await page.locator("header.site-header").boundingBox();
    expect(header!.height).toBeLessThanOrEqual(100);
  } else {
    await expect(strip).toBeHidden();
    expect(await page.locator("section.day:visible").count()).toBeGreaterThan(1);
  }
  // A few times per part of the day; the rest one tap away.
  const day = page.locator("section.day:visible").first();
  for (const list of await day.locator(":scope > ul.times").all()) {
    expect(await list.locator("li").count()).toBeLessThanOrEqual(4);
  }
  const more = day.locator("details.more-times summary").first();
  if (await more.count()) {
    const hidden = day.locator("details.more-times").first().locator(".time").first();
    await expect(hidden).toBeHidden();
    await more.click();
    await expect(hidden).toBeVisible();
  }
  await expectAccessible(page, "finder, day at a time");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "finder-day");
});

test("by keyboard the open times are one Tab stop, moved through with the arrow keys", async ({ page }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "keyboard");
  await signUp(page, uniqueEmail("keys"), "/book");
  await hydrated(page);
  const grid = page.locator(".week");
  await expect(grid.locator('.rove[tabindex="0"]')).toHaveCount(1);
  const focusedLabel = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent ?? "");
  const inGrid = () => page.evaluate(() => !!document.activeElement?.closest(".week"));
  const dayOfFocus = () => page.evaluate(() => document.activeElement?.closest("section.day")?.querySelector("h2")?.textContent ?? "");
  // From the top of the page to the first open time.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  let tabs = 0;
  while (!(await inGrid()) && tabs < 40) {
    await page.keyboard.press("Tab");
    tabs++;
  }
  expect(tabs).toBeLessThanOrEqual(15);
  const first = await focusedLabel();
  const firstDay = await dayOfFocus();
  await page.keyboard.press("ArrowRight");
  expect(await focusedLabel()).not.toBe(first);
  await expect(grid.locator('.rove[tabindex="0"]')).toHaveCount(1);
  await page.keyboard.press("ArrowLeft");
  expect(await focusedLabel()).toBe(first);
  // Page Down: the next day's first time.
  await page.keyboard.press("PageDown");
  const nextDay = await dayOfFocus();
  expect(nextDay).not.toBe(firstDay);
  await page.keyboard.press("PageUp");
  expect(await dayOfFocus()).toBe(firstDay);
  // One Tab leaves the times; Shift+Tab comes back to the same one.
  await page.keyboard.press("Tab");
  expect(await inGrid()).toBe(false);
  await page.keyboard.press("Shift+Tab");
  expect(await focusedLabel()).toBe(first);
  // Enter reserves it: the confirm page, its heading focused.
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
});

test("a time taken meanwhile: the message takes focus where the eye is, and the time leaves the grid", async ({ page }, testInfo) => {
  await signUp(page, uniqueEmail("taken"), "/book");
  await hydrated(page);
  if (testInfo.project.name === "phone") {
    // The last day in the strip: far below the top of a week's page before.
    await page.getByRole("navigation", { name: "Days with open times" }).getByRole("link").last().click();
  }
  const day = page.locator("section.day:visible", { has: page.locator("ul.times") }).last();
  const form = day.locator(":scope > ul.times form.time-form").last();
  const button = form.locator("button.time");
  await button.scrollIntoViewIfNeeded();
  const label = (await button.getAttribute("aria-label"))!;
  const start = await form.locator('input[name="start"]').inputValue();
  // Someone else takes it while the page is open: no doctor is free then any more.
  const ids = sql(`update availability_slots set status = 'blocked' where start_time = '${start}' and status = 'free' returning slot_id`)
    .split("\n")
    .filter(Boolean);
  try {
    await button.click();
    const alert = page.getByRole("alert").filter({ hasText: /taken|no longer/i });
    await expect(alert).toBeFocused();
    await expect(alert).toBeInViewport();
    await expect(page.getByRole("button", { name: label, exact: true })).toBeHidden();
    await screenshot(page, testInfo, "finder-taken");
  } finally {
    if (ids.length) sql(`update availability_slots set status = 'free' where slot_id in (${ids.join(",")})`);
  }
});
