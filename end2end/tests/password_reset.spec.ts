import { test, expect } from "@playwright/test";
import { expectAccessible, hydrated, readMail, screenshot, signUp, uniqueEmail } from "./helpers";

test("a patient who forgot their password resets it through the emailed link", async ({ page, browser }, testInfo) => {
  // Two emails to wait for (each up to a delivery round and an admin sign-in to read it):
  // it came within a few seconds of the default 30 s on this machine.
  test.setTimeout(60_000);
  const email = uniqueEmail("forgot");
  await signUp(page, email, "/book");
  await expect(page).toHaveURL(/\/book/);
  await page.getByRole("button", { name: "Sign out" }).click();

  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password/);
  await hydrated(page);
  await expectAccessible(page, "forgot password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByRole("status")).toContainText("If an account exists for that address");
  await screenshot(page, testInfo, "forgot-password-sent");

  const mail = await readMail(browser, email, /Reset your password/);
  const link = mail.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)![0];
  const path = new URL(link).pathname + new URL(link).search;
  await page.goto(path);
  await hydrated(page);
  await expectAccessible(page, "reset password");
  await page.getByLabel("New password", { exact: true }).fill("a fresh memorable passphrase");
  await page.getByRole("button", { name: "Save my new password" }).click();
  // Signed in, in their portal.
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();

  // The link worked once.
  await page.goto(path);
  await hydrated(page);
  await page.getByLabel("New password", { exact: true }).fill("yet another passphrase here");
  await page.getByRole("button", { name: "Save my new password" }).click();
  await expect(page.getByRole("alert")).toContainText("This link has expired or was already used.");
  await screenshot(page, testInfo, "reset-link-used");

  // The new password signs in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a fresh memorable passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
});
