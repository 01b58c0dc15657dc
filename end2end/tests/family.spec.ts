import { test, expect } from "@playwright/test";
import { expectAccessible, hydrated, screenshot, signUp, sql, uniqueEmail } from "./helpers";

test("a parent adds a child, books for the child and for themselves at the same time, and sees both", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(180_000);
  const page = await (await browser.newContext()).newPage();
  const email = uniqueEmail("family");
  await signUp(page, email, "/book");

  // Add the child on the family page.
  await page.getByRole("link", { name: "Family", exact: true }).click();
  await expect(page).toHaveURL(/\/family$/);
  await hydrated(page);
  await page.getByLabel("First name").fill("Mia");
  await page.getByLabel("Last name").fill("Family");
  await page.getByLabel("Date of birth").fill("2019-04-23");
  await page.getByLabel(/You are their/).fill("Parent");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added." })).toBeVisible();
  const mia = page.locator("li.person", { hasText: "Mia Family" });
  await expect(mia).toContainText("Parent, age");
  await expectAccessible(page, "the family page");
  await screenshot(page, testInfo, "family-page");

  // "Who is this visit for?": Mia.
  await page.goto("/book");
  await hydrated(page);
  const who = page.getByLabel("Who is this visit for?");
  await expect(who).toBeVisible();
  await who.selectOption({ label: "Mia" });
  await page.getByRole("button", { name: "Show times" }).click();
  await expect(page).toHaveURL(/for=\d+/);
  await expect(page.getByText("Times you choose now are booked for Mia.")).toBeVisible();
  const miaId = new URL(page.url()).searchParams.get("for");
  // A time two doctors still have free (from tomorrow, the first of its morning), so both
  // can be booked at it.
  const [start, day] = sql(
    `with s as (select time_zone as tz from clinic_settings)
     select to_char(a.start_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' ' ||
            to_char(a.start_time at time zone s.tz, 'YYYY-MM-DD')
       from availability_slots a cross join s
      where a.status = 'free'
        and a.start_time >= (date_trunc('day', now() at time zone s.tz) + interval '1 day') at time zone s.tz
      group by a.start_time, s.tz having count(*) >= 2 order by a.start_time limit 1`,
  ).split(" ");
  await page.goto(`/book?week=${day}&for=${miaId}`);
  await hydrated(page);
  await expect(page.getByText("Times you choose now are booked for Mia.")).toBeVisible();
  await expectAccessible(page, "the finder with a choice of person");
  await screenshot(page, testInfo, "finder-who-for");
  const slot = page.locator(`form:has(input[name=start][value="${start}"]) button`).first();
  await slot.click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await expect(page.locator("dd.for-whom")).toHaveText("Mia");
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/\d+\?booked=1/);
  await expect(page.getByRole("heading", { name: "Mia's appointment" })).toBeVisible();
  expect(await page.locator("dl.details").getAttribute("data-start")).toBe(start);

  // The parent at the very same time (another doctor).
  await page.goto(`/book?week=${day}`);
  await hydrated(page);
  await expect(page.getByText("Times you choose now are booked for you.")).toBeVisible();
  const same = page.locator(`form:has(input[name=start][value="${start}"]) button`).first();
  await expect(same).toBeVisible();
  await same.click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await expect(page.locator("dd.for-whom")).toHaveCount(0);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page.getByRole("heading", { name: "Your appointment" })).toBeVisible();

  // Both in "My appointments", Mia's labelled.
  await page.getByRole("link", { name: "My appointments", exact: true }).click();
  await hydrated(page);
  const visits = page.locator(`li.appointment[data-start="${start}"]`);
  await expect(visits).toHaveCount(2);
  await expect(visits.filter({ hasText: "For Mia" })).toHaveCount(1);
  await expectAccessible(page, "a family's appointments");
  await screenshot(page, testInfo, "family-appointments");
  expect(
    sql(`select count(distinct a.patient_id) from appointments a join users u on u.user_id = a.booked_by_user_id
          where u.email = '${email}' and a.status = 'booked'`),
  ).toBe("2");
});

test("staff see a patient's family from either side", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  const staff = await (await browser.newContext()).newPage();
  const ben = sql(`select p.patient_id from patients p join users u using (user_id) where u.email = 'ben@example.test'`);
  const { signInStaff } = await import("./helpers");
  await signInStaff(staff, "admin@riverside.test", `/admin/patients/${ben}`);
  await hydrated(staff);
  const family = staff.locator("section.staff-family");
  await expect(family.locator("ul.people li", { hasText: "Leo Carter" })).toContainText("Parent, born 2018-09-12");
  await expectAccessible(staff, "a patient's family, staff side");
  await screenshot(staff, testInfo, "staff-family");
  // Leo's page shows who looks after him.
  await family.getByRole("link", { name: "Leo Carter" }).click();
  await expect(staff).toHaveURL(/\/admin\/patients\/\d+$/);
  await hydrated(staff);
  await expect(staff.locator("section.staff-family ul.carers li", { hasText: "Ben Carter" })).toContainText("linked now");
});
