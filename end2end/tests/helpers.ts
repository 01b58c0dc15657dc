import { expect, Page, test, TestInfo } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { createHmac } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

/** No serious or critical accessibility violations on the current page. */
export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`), what).toEqual([]);
}

/** Saves a full-page screenshot under test-results/screenshots/ for reviewers. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const dir = path.join(__dirname, "..", "test-results", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${testInfo.project.name}-${name}.png`), fullPage: true });
}

/** The page fits the viewport width (no horizontal scrolling). */
export async function expectNoHorizontalScroll(page: Page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scroll, "page wider than the screen").toBeLessThanOrEqual(client);
}

/** Runs SQL against the e2e database (used to move time along: expire a hold, widen the freeze). */
export function sql(statement: string): string {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error("E2E_DATABASE_URL is not set (run through `cargo xtask test`)");
  return execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-qtAc", statement], { stdio: ["ignore", "pipe", "inherit"] })
    .toString()
    .trim();
}

export function uniqueEmail(prefix: string) {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** Waits past the next :00 or :30 when it is under a minute away. The first open time
 *  is the first slot past the two-hour notice, and it passes into the notice at such a
 *  boundary (the clinic's zone is whole hours from UTC): a test that signs up and then
 *  takes the first time must not straddle one. */
export async function awayFromSlotEdge() {
  const left = 1_800_000 - (Date.now() % 1_800_000);
  if (left < 60_000) {
    // The wait is not the test's own time.
    test.info().setTimeout(test.info().timeout + left + 1_000);
    await new Promise((r) => setTimeout(r, left + 1_000));
  }
}

export async function signUp(page: Page, email: string, next = "/book") {
  await awayFromSlotEdge();
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await hydrated(page);
  await page.getByLabel("First name").fill("Pat");
  await page.getByLabel("Last name").fill("Journey");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmEmail(page, email);
}

/** After "Create account": the page says to check the email; the emailed link, opened
 *  and confirmed on `page`, signs the new patient in and leads on. */
export async function confirmEmail(page: Page, email: string) {
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible();
  const mail = await readMail(page.context().browser()!, email, /Confirm your email address/);
  const link = new URL(mail.match(/https?:\/\/\S+\/verify-email\?\S+/)![0]);
  await page.goto(link.pathname + link.search);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page).not.toHaveURL(/verify-email/);
}

/** On /book: moves to the first open times when this one has none. */
export async function firstOpenWeek(page: Page) {
  await hydrated(page);
  const jump = page.getByRole("link", { name: /first open times/ });
  // Wait for the week to render: either times, or the way to the first open week.
  await expect(page.locator("ul.times").first().or(jump)).toBeVisible();
  if (await jump.count()) {
    await jump.click();
    await expect(page).toHaveURL(/week=/);
  }
  await expect(page.locator("ul.times").first()).toBeVisible();
}

/** A header of a raw message (folded lines joined). */
function header(message: string, name: string): string {
  const head = message.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : "";
}

/** Reads the newest message to `to` whose subject matches from the server's mailbox
 *  folder (`E2E_MAILBOX_DIR`: without SMTP the server writes each message there as an
 *  `.eml` file), waiting for the delivery worker; returns its decoded text. */
export async function readMail(_browser: import("@playwright/test").Browser | null, to: string, subject: RegExp): Promise<string> {
  const dir = process.env.E2E_MAILBOX_DIR;
  if (!dir) throw new Error("E2E_MAILBOX_DIR is not set (cargo xtask test sets it)");
  let found = "";
  // The delivery worker sends within a few seconds.
  await expect(async () => {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".eml")).sort().reverse() : [];
    found = "";
    for (const name of names) {
      const raw = fs.readFileSync(path.join(dir, name), "utf8");
      if (header(raw, "To").includes(to) && subject.test(header(raw, "Subject"))) {
        found = raw;
        break;
      }
    }
    expect(found, `a message to ${to} matching ${subject}`).not.toBe("");
  }).toPass({ timeout: 30_000 });
  // Quoted-printable: soft line breaks and =XX escapes (UTF-8 sequences decoded whole).
  const unfolded = found.replace(/=\r?\n/g, "");
  return unfolded.replace(/(?:=[0-9A-F]{2})+/g, (run) =>
    Buffer.from(run.split("=").slice(1).map((hex) => parseInt(hex, 16))).toString("utf8"));
}

/** The demo doctors' and admin's authenticator key (two-step sign-in is required for
 *  them; `clinic-devdata seed-demo` sets it up with this key). */
export const DEMO_TOTP_KEY = "CLINICDEMOTWOSTEPRIVERSIDEDEMOAA";

/** Signs a demo doctor or admin in: email, password, then a code from the demo key.
 *  A code works once and other tests sign the same person in: the step used last is
 *  forgotten first (test data only), and a code another sign-in took first is retried. */
export async function signInStaff(page: Page, email: string, next?: string) {
  await page.goto(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("clinic-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code/);
  await enterStaffCode(page, email);
}

/** On /login/code: the code for a demo doctor or admin (see [signInStaff]). */
export async function enterStaffCode(page: Page, email: string) {
  await expect(async () => {
    sql(`update totp_factors set last_step = null where user_id = (select user_id from users where email = '${email.replace(/'/g, "''")}')`);
    await page.getByLabel("Code", { exact: true }).fill(totp(DEMO_TOTP_KEY));
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).not.toHaveURL(/\/login\/code/, { timeout: 5_000 });
  }).toPass({ timeout: 30_000 });
}

/** On /book: the time button named `label` (e.g. "9:30 AM on Tuesday, November 24"),
 *  opening its part of the day's "more times" first when it is folded away there. */
export async function timeButton(page: Page, label: string) {
  const button = page.locator(`button.time[aria-label="${label}"]`);
  await expect(button).toHaveCount(1);
  if (!(await button.isVisible())) {
    await button.locator("xpath=ancestor::details[1]/summary").click();
  }
  await expect(button).toBeVisible();
  return button;
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) for the base-32 key an authenticator app is given,
 *  at `unix` seconds: the test's own authenticator. */
export function totp(key: string, unix = Date.now() / 1000): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of key.replace(/[\s=]/g, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const secret = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unix / 30)));
  const hash = createHmac("sha1", secret).update(counter).digest();
  const offset = hash[19] & 0x0f;
  const value = (hash.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}
