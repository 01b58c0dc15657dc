import { test, expect } from "@playwright/test";
import {
  expectAccessible,
  expectNoHorizontalScroll,
  hydrated,
  readMail,
  screenshot,
  signInStaff,
  signUp,
  sql,
  timeButton,
  uniqueEmail,
} from "./helpers";

/** A link of `kind` (confirm, cancel, move) in a message's text, as a path. */
function visitLink(mail: string, kind: string): string {
  const found = mail.match(new RegExp(`https?://\\S+/visit/${kind}\\?token=[A-Za-z0-9_-]+`));
  expect(found, `a ${kind} link in the message`).not.toBeNull();
  const url = new URL(found![0]);
  return url.pathname + url.search;
}

test("a reminder's links: the patient confirms from the mailbox and the doctor sees it; a cancel from a link frees the time", async ({ browser }, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "once is enough");
  test.setTimeout(240_000);
  const page = await (await browser.newContext()).newPage();
  const email = uniqueEmail("remind");
  await signUp(page, email, "/book");

  // A time at least three days out that only one doctor has free: booked, it leaves the
  // finder; freed, it comes back.
  const [week, label] = sql(
    `select (s.start_time at time zone c.time_zone)::date || '|' ||
            to_char(s.start_time at time zone c.time_zone, 'FMHH12:MI AM') || ' on ' ||
            to_char(s.start_time at time zone c.time_zone, 'FMDay, FMMonth FMDD')
       from availability_slots s cross join clinic_settings c
      where s.status = 'free' and s.start_time > now() + interval '3 days'
        and s.start_time < now() + interval '20 days'
      group by s.start_time, c.time_zone having count(distinct s.doctor_id) = 1
      order by s.start_time limit 1`,
  ).split("|");
  expect(label, "a time only one doctor has free").toBeTruthy();
  await page.goto(`/book?week=${week}`);
  await hydrated(page);
  await (await timeButton(page, label)).click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/(\d+)\?booked=1/);
  const id = page.url().match(/\/appointments\/(\d+)/)![1];
  await expect(async () => {
    await page.goto(`/book?week=${week}`);
    await hydrated(page);
    await expect(page.locator(`button.time[aria-label="${label}"]`)).toHaveCount(0, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });

  // A reminder goes the clinic's lead before a visit, never for one booked inside it: with
  // a 30-day lead and this visit booked long ago (test data only), the minutely job sends
  // one now.
  const lead = sql(`select reminder_lead_minutes from clinic_settings`);
  let mail = "";
  try {
    sql(`update appointments set updated_at = now() - interval '40 days' where appointment_id = ${id}`);
    sql(`update clinic_settings set reminder_lead_minutes = 43200`);
    await expect(async () => {
      mail = await readMail(null, email, /^Reminder:/);
    }).toPass({ timeout: 150_000 });
  } finally {
    sql(`update clinic_settings set reminder_lead_minutes = ${lead}`);
  }
  expect(mail).toContain("I'll be there:");
  const confirm = visitLink(mail, "confirm");
  const cancel = visitLink(mail, "cancel");
  visitLink(mail, "move");

  // Opened in a browser signed in as nobody: the link alone does it.
  const anon = await (await browser.newContext()).newPage();
  await anon.goto(confirm);
  await hydrated(anon);
  await expect(anon.getByRole("heading", { name: "Will you be there?" })).toBeVisible();
  await expectAccessible(anon, "the confirm link's page");
  await expectNoHorizontalScroll(anon);
  await screenshot(anon, testInfo, "visit-link-confirm");
  await anon.getByRole("button", { name: "I'll be there" }).click();
  await expect(anon).toHaveURL(/\/visit\/done\?did=confirmed/);
  await expect(anon.getByRole("status").filter({ hasText: "You confirmed your visit" })).toBeVisible();
  await expectAccessible(anon, "after confirming");

  // The doctor's calendar shows it confirmed.
  const [doctorEmail, day] = sql(
    `select u.email || '|' || (a.start_time at time zone s.time_zone)::date
       from appointments a join doctors d using (doctor_id) join users u on u.user_id = d.user_id
       cross join clinic_settings s
      where a.appointment_id = ${id}`,
  ).split("|");
  const doctor = await (await browser.newContext()).newPage();
  await signInStaff(doctor, doctorEmail, `/doctor?week=${day}&day=${day}`);
  await expect(doctor).toHaveURL(/\/doctor/);
  const slot = doctor.locator(".slot.booked", { has: doctor.locator(`a[href="/doctor/visits/${id}"]`) });
  await expect(slot).toContainText("Confirmed");
  await screenshot(doctor, testInfo, "doctor-week-confirmed");

  // Cancelling from the same message: the time is free again in the finder.
  await anon.goto(cancel);
  await hydrated(anon);
  await expect(anon.getByRole("heading", { name: "Cancel this visit" })).toBeVisible();
  await expectAccessible(anon, "the cancel link's page");
  await anon.getByRole("button", { name: "Cancel this visit" }).click();
  await expect(anon).toHaveURL(/\/visit\/done\?did=cancelled/);
  await expect(anon.getByRole("status").filter({ hasText: "is cancelled" })).toBeVisible();
  await expect(async () => {
    await page.goto(`/book?week=${week}`);
    await hydrated(page);
    await expect(page.locator(`button.time[aria-label="${label}"]`)).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });

  // The used link now says what any dead link says; the confirm link says it was cancelled.
  await anon.goto(cancel);
  await expect(anon.getByRole("alert")).toContainText("no longer valid");
  await anon.goto(confirm);
  await expect(anon.getByRole("alert")).toContainText("no longer valid");
  await anon.goto(visitLink(mail, "move"));
  await expect(anon.getByText("This visit was cancelled")).toBeVisible();
});
