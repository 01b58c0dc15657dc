import { test, expect, Page } from "@playwright/test";
import { confirmEmail, enterStaffCode } from "./helpers";

const DEMO_PASSWORD = "clinic-demo-2026";

async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a new patient signs up, signs out, signs in and reaches only their own portal", async ({ page }) => {
  const email = `pat-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const password = "a long enough passphrase";

  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("First name").fill("Jo");
  await page.getByLabel("Last name").fill("Tester");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmEmail(page, email);

  await expect(page).toHaveURL(/\/$/);
  const header = page.getByRole("banner");
  await expect(header.getByRole("link", { name: "Jo Tester (account)" })).toBeVisible();

  // The staff or doctors' portal refuses a patient (403), says whom it is for and leads
  // back to the patient's own pages; nothing of the refused page shows.
  for (const [path, whom] of [["/admin", "clinic staff"], ["/doctor", "the clinic's doctors"]]) {
    const refused = await page.goto(path);
    expect(refused?.status(), path).toBe(403);
    await expect(page).toHaveTitle(/^Not available/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("This page is not for your account");
    await expect(page.getByText(`It is for ${whom}.`, { exact: false })).toBeVisible();
    await expect(page.getByRole("main").getByRole("link", { name: "Go to your appointments" })).toHaveAttribute("href", "/appointments");
  }
  await page.goto("/");

  await hydrated(page);
  await header.getByRole("button", { name: "Sign out" }).click();
  await expect(header.getByRole("link", { name: "Sign in" })).toBeVisible();

  // A signed-out visit to the account page asks to sign in, then returns there.
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?next=\/account$/);
  await hydrated(page);
  await signIn(page, email, password);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your account");
  await expect(page.getByText(email)).toBeVisible();
});

test("sign-up explains a bad field next to it", async ({ page }) => {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("First name").fill("Jo");
  await page.getByLabel("Last name").fill("Tester");
  await page.getByLabel("Email").fill(`weak-${Date.now()}@example.test`);
  await page.getByLabel("Password", { exact: true }).fill("password123");
  await page.getByRole("button", { name: "Create account" }).click();
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText("This password is too common.")).toBeVisible();
  await expect(page).toHaveURL(/\/signup/);
});

test("a wrong password is refused without saying which part was wrong", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await signIn(page, "ben@example.test", "not the password");
  await expect(page.getByRole("alert")).toHaveText("That email and password do not match an account.");
  await expect(page).toHaveURL(/\/login/);
});

test("staff and doctors land in their own portals and nowhere else", async ({ page }) => {
  await page.goto("/login?next=/admin");
  await hydrated(page);
  await signIn(page, "admin@riverside.test", DEMO_PASSWORD);
  // Staff and doctors give a code from their authenticator app after the password.
  await expect(page).toHaveURL(/\/login\/code\?next=\/admin$/);
  await enterStaffCode(page, "admin@riverside.test");
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Today at the clinic");
  await page.getByRole("navigation", { name: "Staff portal" }).getByRole("link", { name: "Accounts" }).click();
  await expect(page.getByRole("cell", { name: "ada.okafor@riverside.test", exact: true })).toBeVisible();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();

  await page.goto("/login");
  await hydrated(page);
  await signIn(page, "ada.okafor@riverside.test", DEMO_PASSWORD);
  await enterStaffCode(page, "ada.okafor@riverside.test");
  await expect(page).toHaveURL(/\/doctor$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your calendar");
  await expect(page.getByRole("banner").getByRole("link", { name: "Dr. Ada Okafor (account)" })).toBeVisible();
  // Another portal's page: refused (403), says whom it is for, leads home.
  const refused = await page.goto("/admin");
  expect(refused?.status()).toBe(403);
  await hydrated(page);
  await expect(page).toHaveTitle(/^Not available/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("This page is not for your account");
  await expect(page.getByText("It is for clinic staff.", { exact: false })).toBeVisible();
  await page.getByRole("main").getByRole("link", { name: "Go to your calendar" }).click();
  await expect(page).toHaveURL(/\/doctor$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your calendar");
});
