import { test, expect, Browser, Page } from "@playwright/test";
import {
  expectAccessible,
  expectNoHorizontalScroll,
  firstOpenWeek,
  hydrated,
  screenshot,
  signInStaff,
  signUp,
  sql,
  uniqueEmail,
} from "./helpers";

/** A new patient in a browser of their own, signed up and signed in. */
async function patient(browser: Browser, prefix: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, uniqueEmail(prefix), "/book");
  return page;
}

/** On the confirm page: answers what is asked, confirms, and returns the visit's doctor. */
async function confirmVisit(page: Page, allergies?: string): Promise<string> {
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  if (allergies !== undefined) await page.getByLabel("Any allergies?").fill(allergies);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  const doctor = page.locator("dl.details dt", { hasText: "Doctor" }).locator("xpath=following-sibling::dd[1]");
  return (await doctor.innerText()).trim();
}

test("staff make a visit type for two doctors; a patient books it with one of them", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(180_000);
  const staff = await (await browser.newContext()).newPage();
  await signInStaff(staff, "admin@riverside.test", "/admin/visit-types");
  await expect(staff).toHaveURL(/\/admin\/visit-types/);
  await hydrated(staff);
  const name = `Travel vaccines ${Date.now() % 100000}`;
  await staff.getByLabel("Name", { exact: true }).fill(name);
  await staff.getByLabel("Length").selectOption({ index: 0 });
  await staff.getByLabel(/Buffer after the visit/).fill("10");
  await staff.getByLabel("Every doctor").uncheck();
  const boxes = staff.locator("ul.checkbox-list input[type=checkbox]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  const offering = [
    (await staff.locator("ul.checkbox-list label").nth(0).innerText()).trim().split(" (")[0],
    (await staff.locator("ul.checkbox-list label").nth(1).innerText()).trim().split(" (")[0],
  ];
  await staff.getByLabel(/Note shown before booking/).fill("Bring your vaccination card.");
  await staff.getByLabel("Question 1").fill("Any allergies?");
  await staff.locator("input[name='questions[0][required]']").check();
  await staff.getByRole("button", { name: "Check what this changes" }).click();
  const preview = staff.getByRole("status").filter({ hasText: "If you save:" });
  await expect(preview).toBeVisible();
  await expect(preview).toContainText(offering[0]);
  await expect(preview).toContainText(offering[1]);
  await expectAccessible(staff, "the visit type form");
  await screenshot(staff, testInfo, "visit-type-form");
  await staff.getByRole("button", { name: "Save", exact: true }).click();
  await expect(staff.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(staff.getByRole("link", { name })).toBeVisible();

  // A patient sees the type, its note, only its doctors' times, and answers its question.
  const page = await patient(browser, "vt-a");
  await page.goto("/book");
  await hydrated(page);
  await page.getByRole("link", { name: new RegExp(`^${name} \\(\\d+ min\\)$`) }).click();
  await expect(page.getByRole("note").filter({ hasText: "Bring your vaccination card." })).toBeVisible();
  await firstOpenWeek(page);
  await expectNoHorizontalScroll(page);
  await page.locator("ul.times button.time").first().click();
  await expect(page.getByRole("note").filter({ hasText: "Bring your vaccination card." })).toBeVisible();
  await expectAccessible(page, "confirm page with an intake question");
  await screenshot(page, testInfo, "visit-type-confirm");
  const doctor = await confirmVisit(page, "None known");
  expect(offering).toContain(doctor);
  const answer = sql(
    `select i.answer from appointment_intake_answers i join appointments a using (appointment_id)
      join appointment_types t using (appointment_type_id) where t.name = '${name}'`,
  );
  expect(answer).toBe("None known");
  // The doctor's run: the visit and its buffer after it.
  expect(
    sql(`select count(*) from appointment_slots l join appointments a using (appointment_id)
          join appointment_types t using (appointment_type_id) where t.name = '${name}'`),
  ).toBe("2");
});

test("a patient chooses 'my usual doctor' and sees that doctor's times only", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(180_000);
  const page = await patient(browser, "vt-usual");
  // A first visit, seen already: its doctor is now the patient's usual doctor.
  await page.goto("/book");
  await firstOpenWeek(page);
  await page.locator("ul.times button.time").first().click();
  const usual = await confirmVisit(page);
  const visitId = new URL(page.url()).pathname.split("/").pop();
  sql(`update appointments set status = 'completed' where appointment_id = ${visitId}`);

  await page.goto("/book");
  await hydrated(page);
  await page.getByRole("link", { name: "Choose a doctor" }).click();
  await expect(page).toHaveURL(/\/book\/doctors\?type=/);
  await expect(page.getByRole("heading", { name: "My usual doctor" })).toBeVisible();
  await expectAccessible(page, "choosing a doctor");
  await screenshot(page, testInfo, "choose-doctor");
  await page.getByRole("link", { name: `See ${usual}'s times` }).first().click();
  await expect(page).toHaveURL(/doctor=\d+/);
  await expect(page.getByText(`Times with ${usual}.`)).toBeVisible();
  await screenshot(page, testInfo, "finder-chosen-doctor");
  await firstOpenWeek(page);
  await page.locator("ul.times button.time").first().click();
  expect(await confirmVisit(page)).toBe(usual);
});
