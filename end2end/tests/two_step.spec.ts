import { test, expect } from "@playwright/test";
import { expectAccessible, hydrated, screenshot, signInStaff, signUp, totp, uniqueEmail } from "./helpers";

// The test is its own authenticator app: it reads the key the page shows and computes the
// codes (RFC 6238) itself.
test("a patient turns on two-step sign-in, keeps the recovery codes, and signs in with a fresh code", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const email = uniqueEmail("twostep");
  await signUp(page, email, "/account");
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("link", { name: "Two-step sign-in" }).click();
  await expect(page).toHaveURL(/\/account\/two-step$/);
  await hydrated(page);
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();

  // The QR code and the same key in text.
  await expect(page.getByRole("img", { name: /QR code for your authenticator app/ })).toBeVisible();
  const key = (await page.locator("code.secret").innerText()).trim();
  expect(key.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{32}$/);
  await expectAccessible(page, "two-step setup");
  await screenshot(page, testInfo, "two-step-setup");

  // A wrong code is named on its field; the right one turns it on.
  const code = page.getByLabel("The 6-digit code your app shows now");
  const right = totp(key);
  await code.fill(right === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Turn on", exact: true }).click();
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  await code.fill(totp(key));
  await page.getByRole("button", { name: "Turn on", exact: true }).click();

  // The recovery codes, shown once.
  await expect(page).toHaveURL(/\/account\/two-step\/codes/);
  await expect(page.getByRole("heading", { name: "Your recovery codes" })).toBeVisible();
  // The heading can come before the list on a slow phone: wait for the codes themselves.
  await expect(page.locator("ul.recovery-codes code")).toHaveCount(10);
  const codes = await page.locator("ul.recovery-codes code").allInnerTexts();
  expect(codes).toHaveLength(10);
  await screenshot(page, testInfo, "two-step-codes");
  await page.reload();
  await expect(page.getByText("Recovery codes are shown only once")).toBeVisible();

  // Signing in again: the password, then a code (the next step's: this one was used).
  await page.goto("/account");
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/login?next=/account");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code/);
  await expect(page.getByRole("heading", { name: "Enter your code" })).toBeVisible();
  await expectAccessible(page, "sign-in code");
  await page.getByLabel("Code", { exact: true }).fill(totp(key, Date.now() / 1000 + 30));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account/);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();

  // The two-step page says it is on, with ten codes left.
  await page.goto("/account/two-step");
  await expect(page.getByText("Two-step sign-in is on")).toBeVisible();
  await expect(page.getByText("10 recovery codes are left.")).toBeVisible();
});

test("a doctor created by staff sets up two-step sign-in at the first sign-in, then signs in with a fresh code", async ({ page, browser }, testInfo) => {
  test.setTimeout(120_000);
  // Staff create the account with a first password.
  await signInStaff(page, "admin@riverside.test", "/admin/accounts");
  await expect(page).toHaveURL(/\/admin\/accounts/);
  await hydrated(page);
  const email = uniqueEmail("newdoctor");
  const password = "a long enough passphrase";
  await page.getByLabel("Role").selectOption("doctor");
  await page.getByLabel("First name").fill("Nora");
  await page.getByLabel("Last name").fill("Enrolment");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Specialty (doctors)").fill("Dermatology");
  await page.getByLabel("First password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();

  // The doctor's first sign-in leads to the setup, and nothing else opens before it.
  const context = await browser.newContext();
  const doctor = await context.newPage();
  await doctor.goto("/login?next=/doctor/hours");
  await hydrated(doctor);
  await doctor.getByLabel("Email").fill(email);
  await doctor.getByLabel("Password", { exact: true }).fill(password);
  await doctor.getByRole("button", { name: "Sign in" }).click();
  await expect(doctor).toHaveURL(/\/login\/enrol\?next=\/doctor\/hours$/);
  await expect(doctor.getByRole("heading", { name: "Set up two-step sign-in" })).toBeVisible();
  await hydrated(doctor);
  await doctor.goto("/doctor");
  await expect(doctor).toHaveURL(/\/login/);
  await doctor.goto("/login/enrol?next=%2Fdoctor%2Fhours");
  await hydrated(doctor);
  await doctor.getByRole("button", { name: "Set up two-step sign-in" }).click();
  await expect(doctor.getByRole("img", { name: /QR code for your authenticator app/ })).toBeVisible();
  const key = (await doctor.locator("code.secret").innerText()).trim();
  expect(key.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{32}$/);
  await expectAccessible(doctor, "two-step enrolment");
  await screenshot(doctor, testInfo, "two-step-enrolment");
  await doctor.getByLabel("The 6-digit code your app shows now").fill(totp(key));
  await doctor.getByRole("button", { name: "Turn on and continue" }).click();

  // Signed in: the recovery codes once, then on to where the doctor was going.
  await expect(doctor).toHaveURL(/\/account\/two-step\/codes\?next=\/doctor\/hours$/);
  await expect(doctor.locator("ul.recovery-codes code")).toHaveCount(10);
  await doctor.getByRole("link", { name: "I have kept them" }).click();
  await expect(doctor).toHaveURL(/\/doctor\/hours$/);
  await expect(doctor.getByRole("heading", { level: 1 })).toHaveText("Your weekly hours");

  // Out and in again: the password, then a fresh code (the next step's: this one was used).
  await doctor.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(doctor.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await doctor.goto("/login");
  await hydrated(doctor);
  await doctor.getByLabel("Email").fill(email);
  await doctor.getByLabel("Password", { exact: true }).fill(password);
  await doctor.getByRole("button", { name: "Sign in" }).click();
  await expect(doctor).toHaveURL(/\/login\/code/);
  await doctor.getByLabel("Code", { exact: true }).fill(totp(key, Date.now() / 1000 + 30));
  await doctor.getByRole("button", { name: "Sign in" }).click();
  await expect(doctor).toHaveURL(/\/doctor$/);
  await expect(doctor.getByRole("heading", { level: 1 })).toHaveText("Your calendar");
  await context.close();
});

// Chromium's virtual authenticator (DevTools' WebAuthn domain) is the patient's device:
// it keeps discoverable credentials and verifies the "user" at once. Passkeys need the
// site by its name, so this test's browser opens it at localhost.
test("a patient adds a passkey and signs in with it alone, and after the password", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const byName = new URL(process.env.BASE_URL!);
  byName.hostname = "localhost";
  const context = await browser.newContext({ baseURL: byName.origin });
  const page = await context.newPage();
  const devtools = await context.newCDPSession(page);
  await devtools.send("WebAuthn.enable");
  await devtools.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const email = uniqueEmail("passkey");
  await signUp(page, email, "/account");

  // Added on the two-step page: the first second step, so the recovery codes follow.
  await page.goto("/account/two-step");
  await hydrated(page);
  await page.getByLabel("Name for this passkey (optional)").fill("Test laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page).toHaveURL(/\/account\/two-step\/codes/);
  await expect(page.locator("ul.recovery-codes code")).toHaveCount(10);
  await page.goto("/account/two-step");
  await hydrated(page);
  await expect(page.locator("ul.passkeys")).toContainText("Test laptop");
  await expect(page.getByRole("button", { name: "Remove passkey Test laptop" })).toBeVisible();
  await expectAccessible(page, "passkeys");
  await screenshot(page, testInfo, "passkeys");

  // Signed out, then in with the passkey alone: no email, no password.
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/login?next=/appointments");
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await expect(page).toHaveURL(/\/appointments$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My appointments");

  // With the password, the passkey is the second step.
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/login?next=/appointments");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/code/);
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey instead" }).click();
  await expect(page).toHaveURL(/\/appointments$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("My appointments");
  await context.close();
});
