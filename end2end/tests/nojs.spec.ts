import { test, expect, Page, Browser } from "@playwright/test";
import { awayFromSlotEdge, confirmEmail, enterStaffCode, sql, totp, uniqueEmail } from "./helpers";

// Every form works without JavaScript: a failing post comes back to its page with the
// message next to the field and what was typed kept (never a password), not a JSON page.

async function noScript(browser: Browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  return { context, page: await context.newPage() };
}

/** The page is a page (not a raw JSON answer) and the URL carries no error payload. */
async function expectReturnedTo(page: Page, path: RegExp) {
  await expect(page).toHaveURL(path);
  expect(page.url()).not.toContain("__err");
  const body = (await page.locator("body").innerText()).trim();
  expect(body.startsWith("{") || body.startsWith("\""), `raw answer shown: ${body.slice(0, 80)}`).toBe(false);
}

async function signUpWithoutScript(page: Page, next = "/book") {
  await awayFromSlotEdge();
  const email = uniqueEmail("nojs");
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel("First name").fill("Nora");
  await page.getByLabel("Last name").fill("Script");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmEmail(page, email);
  return email;
}

async function firstOpenWeekWithoutScript(page: Page) {
  const jump = page.getByRole("link", { name: /first open times/ });
  if (await jump.count()) await jump.click();
  await expect(page.locator("ul.times").first()).toBeVisible();
}

test("sign-in: a wrong password comes back to the form with the message and the email", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await page.goto("/login?next=/book");
  await page.getByLabel("Email").fill("alice@example.test");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectReturnedTo(page, /\/login\?next=/);
  await expect(page.getByRole("alert")).toContainText("That email and password do not match an account.");
  await expect(page.getByLabel("Email")).toHaveValue("alice@example.test");
  await expect(page.getByLabel("Password")).toHaveValue("");
  // The message is for one view: a reload shows a clean form.
  await page.reload();
  await expect(page.getByText("That email and password do not match an account.")).toHaveCount(0);
  await context.close();
});

test("sign-up: field errors sit next to their fields and the values stay", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  const address = uniqueEmail("wren");
  await page.goto("/signup");
  await page.getByLabel("First name").fill("Wren");
  await page.getByLabel("Last name").fill("Formless");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Phone (optional)").fill("+1 555 010 7788");
  // Passes the browser's own checks; the server's password rule refuses it.
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expectReturnedTo(page, /\/signup/);
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("aria-invalid", "true");
  await expect(page.locator("#field-password-error")).toContainText("8");
  await expect(page.getByLabel("First name")).toHaveValue("Wren");
  await expect(page.getByLabel("Last name")).toHaveValue("Formless");
  await expect(page.getByLabel("Email")).toHaveValue(address);
  await expect(page.getByLabel("Phone (optional)")).toHaveValue("+1 555 010 7788");
  await expect(password).toHaveValue("");
  await context.close();
});

test("booking: a time taken meanwhile, an expired hold and the appointment limit are explained", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await signUpWithoutScript(page);
  await expect(page).toHaveURL(/\/book/);
  await firstOpenWeekWithoutScript(page);

  // Someone else takes the first time while we look at the week.
  const first = page.locator("ul.times button.time").first();
  const label = (await first.getAttribute("aria-label"))!;
  const start = await page.locator("ul.times form.time-form").first().locator("input[name=start]").getAttribute("value");
  sql(`update availability_slots set status = 'blocked' where start_time = '${start}' and status = 'free'`);
  try {
    await first.click();
    await expectReturnedTo(page, /\/book/);
    await expect(page.getByRole("alert")).toContainText("That time has just been taken.");
    await expect(page.getByText("Nearby open times:")).toBeVisible();
  } finally {
    sql(`update availability_slots set status = 'free' where start_time = '${start}' and status = 'blocked'`);
  }
  expect(label).toContain(" on ");

  // A hold left to lapse.
  await page.locator("ul.times button.time:visible").nth(1).click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  const token = new URL(page.url()).searchParams.get("hold")!;
  sql(`update availability_slots set hold_expires_at = now() - interval '1 second' where hold_token = '${token}'`);
  await page.getByLabel("Reason for your visit (optional)").fill("follow-up");
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expectReturnedTo(page, /\/book\/confirm\?hold=/);
  await expect(page.getByRole("alert").filter({ hasText: "has run out" })).toBeVisible();

  // The limit of upcoming appointments.
  sql("update clinic_settings set max_active_appointments = 1");
  try {
    await page.goto("/book");
    await firstOpenWeekWithoutScript(page);
    await page.locator("ul.times button.time:visible").nth(2).click();
    await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
    await page.getByRole("button", { name: "Confirm appointment" }).click();
    await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
    await page.goto("/book");
    await firstOpenWeekWithoutScript(page);
    await page.locator("ul.times button.time:visible").nth(3).click();
    await expectReturnedTo(page, /\/book/);
    await expect(page.getByRole("alert")).toContainText("You already have 1 upcoming appointments");
  } finally {
    sql("update clinic_settings set max_active_appointments = 3");
  }
  await context.close();
});

test("profile and password: errors come back to their fields", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await signUpWithoutScript(page, "/profile");
  await expect(page).toHaveURL(/\/profile/);
  await page.getByLabel("First name").fill("Renamed");
  await page.getByLabel("Phone (optional)").fill("call me maybe");
  await page.getByRole("button", { name: "Save" }).click();
  await expectReturnedTo(page, /\/profile/);
  await expect(page.getByLabel("Phone (optional)")).toHaveValue("call me maybe");
  await expect(page.getByLabel("First name")).toHaveValue("Renamed");
  await expect(page.locator(".field", { has: page.getByLabel("Phone (optional)") }).locator(".field-error")).not.toBeEmpty();

  await page.getByLabel("Current password").fill("wrong current password");
  await page.getByLabel("New password").fill("another long passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expectReturnedTo(page, /\/profile/);
  await expect(page.locator("#field-current_password-error")).toBeVisible();
  await expect(page.getByLabel("Current password")).toHaveValue("");
  await context.close();
});

test("moving a visit to a time taken meanwhile explains it on the move page", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await signUpWithoutScript(page);
  await firstOpenWeekWithoutScript(page);
  // Book a week out, then try to move it to a time that is taken before we confirm.
  await page.getByRole("link", { name: "Later days →" }).click();
  await page.locator("ul.times button.time").first().click();
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  await page.getByRole("link", { name: "Reschedule" }).click();
  await page.getByRole("link", { name: "Later days →" }).click();
  await page.locator("ul.times a.time:visible").nth(4).click();
  await expect(page).toHaveURL(/\/book\/move\?/);
  const start = new URL(page.url()).searchParams.get("start")!;
  sql(`update availability_slots set status = 'blocked' where start_time = '${start}' and status = 'free'`);
  try {
    await page.getByRole("button", { name: "Move appointment" }).click();
    await expectReturnedTo(page, /\/book\/move\?/);
    await expect(page.getByRole("alert")).toContainText("That time was just taken. Your appointment has not changed");
  } finally {
    sql(`update availability_slots set status = 'free' where start_time = '${start}' and status = 'blocked'`);
  }
  await context.close();
});

test("staff: creating an account with a bad field comes back with it marked", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await page.goto("/login?next=/admin/accounts");
  await page.getByLabel("Email").fill("admin@riverside.test");
  await page.getByLabel("Password").fill("clinic-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await enterStaffCode(page, "admin@riverside.test");
  await expect(page).toHaveURL(/\/admin\/accounts/);
  await page.getByLabel("First name").fill("Nadia");
  await page.getByLabel("Last name").fill("Noscript");
  await page.getByLabel("Email").fill(uniqueEmail("nadia"));
  await page.getByLabel("Specialty (doctors)").fill("Dermatology");
  await page.getByLabel("First password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expectReturnedTo(page, /\/admin\/accounts/);
  await expect(page.locator("#field-password-error")).toBeVisible();
  await expect(page.getByLabel("First name")).toHaveValue("Nadia");
  await expect(page.getByLabel("Specialty (doctors)")).toHaveValue("Dermatology");
  await expect(page.getByLabel("First password")).toHaveValue("");
  await context.close();
});

test("forgot password: asking for a link says so, and a bad reset link explains itself", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await page.goto("/forgot-password");
  await page.getByLabel("Email").fill("someone-unknown@example.test");
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expectReturnedTo(page, /\/forgot-password\?sent=1/);
  await expect(page.getByRole("status")).toContainText("If an account exists for that address");
  await page.goto("/reset-password?token=not-a-real-token");
  await page.getByLabel("New password", { exact: true }).fill("a long enough passphrase");
  await page.getByRole("button", { name: "Save my new password" }).click();
  await expectReturnedTo(page, /\/reset-password\?token=/);
  await expect(page.getByRole("alert")).toContainText("This link has expired or was already used.");
  await context.close();
});

test("doctor: weekly hours preview and save work without the script", async ({ browser }) => {
  const { context, page } = await noScript(browser);
  await page.goto("/login?next=/doctor/hours");
  await page.getByLabel("Email").fill("jose.martinez@riverside.test");
  await page.getByLabel("Password").fill("clinic-demo-2026");
  await page.getByRole("button", { name: "Sign in" }).click();
  await enterStaffCode(page, "jose.martinez@riverside.test");
  await expect(page).toHaveURL(/\/doctor\/hours/);
  // A bad day comes back named, next to its field, what was typed kept.
  await page.getByLabel("Sunday", { exact: true }).fill("09:00-10:15");
  await page.getByRole("button", { name: "Preview" }).click();
  await expectReturnedTo(page, /\/doctor\/hours\?preview=1/);
  await expect(page.locator("#field-sunday-error")).toContainText("10:15 is not on the clinic's 30-minute grid");
  await expect(page.getByLabel("Sunday", { exact: true })).toHaveValue("09:00-10:15");
  // Sunday mornings from four weeks ahead, previewed and saved.
  const from = sql("select (current_date + 28)::text");
  await page.getByLabel("New hours start on").fill(from);
  await page.getByLabel("Sunday", { exact: true }).fill("09:00-10:00");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("hours-preview")).toContainText("Sunday: Not working → 09:00–10:00");
  await page.getByRole("button", { name: "Save these hours" }).click();
  await expectReturnedTo(page, /\/doctor\/hours/);
  // Saved: the change is now planned, and the same preview finds nothing left to change.
  await expect(page.getByRole("heading", { name: /^From / })).toBeVisible();
  await expect(page.getByTestId("hours-preview")).toContainText("These are the hours you already have");
  await context.close();
});

test("two-step sign-in without script: turned on with a code, a wrong code comes back to its field, a right one signs in", async ({ browser }) => {
  test.setTimeout(90_000);
  const { context, page } = await noScript(browser);
  const email = await signUpWithoutScript(page, "/account");
  await page.goto("/account/two-step");
  await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await expectReturnedTo(page, /\/account\/two-step$/);
  const key = (await page.locator("code.secret").innerText()).trim();
  await page.getByLabel("The 6-digit code your app shows now").fill(totp(key));
  await page.getByRole("button", { name: "Turn on", exact: true }).click();
  await expectReturnedTo(page, /\/account\/two-step\/codes/);
  await expect(page.locator("ul.recovery-codes code")).toHaveCount(10);

  // Signed out, the password leads to the code; a wrong code comes back to its field.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/login?next=/account");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectReturnedTo(page, /\/login\/code\?next=/);
  const next = totp(key, Date.now() / 1000 + 30);
  await page.getByLabel("Code", { exact: true }).fill(next === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectReturnedTo(page, /\/login\/code/);
  await expect(page.getByText(/That code is not right/)).toBeVisible();
  await page.getByLabel("Code", { exact: true }).fill(next);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expectReturnedTo(page, /\/account$/);
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await context.close();
});
