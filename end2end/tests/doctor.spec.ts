import { test, expect, Page } from "@playwright/test";
import { expectAccessible, expectNoHorizontalScroll, hydrated, screenshot, signInStaff, signUp, sql, uniqueEmail, timeButton } from "./helpers";

async function signInAs(page: Page, email: string) {
  await signInStaff(page, email);
}

test("a doctor sees their week, opens a visit, blocks time, takes leave, marks a no-show and subscribes", async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  // A patient books a time a week out, with a reason only they and their doctor see.
  const patientEmail = uniqueEmail("doctorjourney");
  await signUp(page, patientEmail, "/book");
  // A time a week out that three doctors have free: after the leave, one is still free.
  const [week, label] = sql(
    `select (s.start_time at time zone c.time_zone)::date || '|' ||
            to_char(s.start_time at time zone c.time_zone, 'FMHH12:MI AM') || ' on ' ||
            to_char(s.start_time at time zone c.time_zone, 'FMDay, FMMonth FMDD')
       from availability_slots s cross join clinic_settings c
      where s.status = 'free' and s.start_time > now() + interval '7 days'
      group by s.start_time, c.time_zone having count(distinct s.doctor_id) >= 3
      order by s.start_time limit 1`,
  ).split("|");
  await page.goto(`/book?week=${week}`);
  await hydrated(page);
  await (await timeButton(page, label)).click();
  await expect(page).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(page);
  await page.getByLabel("Reason for your visit (optional)").fill("follow-up on knee");
  await page.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(page).toHaveURL(/\/appointments\/(\d+)\?booked=1/);
  const appointmentId = page.url().match(/\/appointments\/(\d+)/)![1];
  const [doctorEmail, day, startLocal] = sql(
    `select u.email || '|' || (a.start_time at time zone s.time_zone)::date || '|' || to_char(a.start_time at time zone s.time_zone, 'HH24:MI')
       from appointments a join doctors d using (doctor_id) join users u on u.user_id = d.user_id cross join clinic_settings s
      where a.appointment_id = ${appointmentId}`,
  ).split("|");
  const patientName = "Pat Journey";
  await page.getByRole("button", { name: "Sign out" }).click();

  // The doctor's week with that visit, named.
  await signInAs(page, doctorEmail);
  await expect(page).toHaveURL(/\/doctor/);
  await page.goto(`/doctor?week=${day}&day=${day}`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your calendar");
  // This visit's own link: "today's visits" head the page, and at some hours they hold
  // other tests' Pat Journeys with this doctor.
  const visitLink = page
    .getByRole("link", { name: new RegExp(`${patientName} — Standard`) })
    .and(page.locator(`[href="/doctor/visits/${appointmentId}"]`))
    .first();
  await expect(visitLink).toBeVisible();
  await expectAccessible(page, "doctor week");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "doctor-week");

  // The visit: patient, type, their private reason.
  await visitLink.click();
  await expect(page).toHaveURL(/\/doctor\/visits\/\d+/);
  await expect(page.getByText("follow-up on knee")).toBeVisible();
  // How to reach the patient, and what has happened to the visit so far.
  await expect(page.getByRole("link", { name: patientEmail })).toBeVisible();
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.locator("ol.history")).toContainText("Booked by the patient");
  await expectAccessible(page, "doctor visit");
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "doctor-visit");

  // Block one free half hour of theirs on another day, with a preview first.
  const [nextDay, from, until] = sql(
    `select (s.start_time at time zone c.time_zone)::date || '|' || to_char(s.start_time at time zone c.time_zone, 'HH24:MI')
            || '|' || to_char(s.end_time at time zone c.time_zone, 'HH24:MI')
       from availability_slots s join doctors d using (doctor_id) join users u on u.user_id = d.user_id cross join clinic_settings c
      where u.email = '${doctorEmail}' and s.status = 'free'
        and (s.start_time at time zone c.time_zone)::date > '${day}'::date
      order by s.start_time limit 1`,
  ).split("|");
  await page.goto(`/doctor?week=${nextDay}&day=${nextDay}`);
  await hydrated(page);
  await page.getByLabel("First day").fill(nextDay);
  await page.getByLabel("From (optional)").fill(from);
  await page.getByLabel("Until (optional)").fill(until);
  await page.getByLabel("Note (optional, for you and the staff)").fill("team meeting");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Blocking this time moves" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm the block" }).click();
  await expect(page.getByText("Blocked: team meeting").first()).toBeVisible();

  // A day of leave over the booked visit: the preview says it moves; then it has.
  await page.getByLabel("First day").fill(day);
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByRole("status").filter({ hasText: "Blocking this time moves" });
  await expect(preview).toContainText(/moves 1 booked visit/);
  await screenshot(page, testInfo, "doctor-leave-preview");
  await hydrated(page);
  await page.getByRole("button", { name: "Confirm the block" }).click();
  await expect(page.getByText(/Blocked\. 1 visit\(s\) moved/)).toBeVisible();
  const newDoctor = sql(`select u.email from appointments a join doctors d using (doctor_id) join users u on u.user_id = d.user_id where a.appointment_id = ${appointmentId}`);
  expect(newDoctor).not.toBe(doctorEmail);
  const newDoctorName = sql(`select 'Dr. ' || d.first_name || ' ' || d.last_name from appointments a join doctors d using (doctor_id) where a.appointment_id = ${appointmentId}`);

  // A visit that has happened: marked no-show.
  const pastId = sql(
    `insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time, booked_by_user_id, booked_by_role, idempotency_key)
     select p.patient_id, d.doctor_id, 1, now() - interval '3 hours', now() - interval '150 minutes', p.user_id, 'patient', gen_random_uuid()
       from patients p cross join doctors d join users du on du.user_id = d.user_id
       join users pu on pu.email = '${patientEmail}' where p.user_id = pu.user_id and du.email = '${doctorEmail}'
     returning appointment_id`,
  );
  await page.goto(`/doctor/visits/${pastId}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Mark no-show" }).click();
  await expect(page.locator("dl.details")).toContainText("No-show");

  // The private calendar feed.
  await page.goto("/doctor");
  await hydrated(page);
  await page.getByRole("button", { name: "Make my calendar link" }).click();
  const feedPath = await page.getByTestId("feed-url").textContent();
  const feed = await page.request.get(feedPath!);
  expect(feed.status()).toBe(200);
  expect(await feed.text()).toContain("BEGIN:VCALENDAR");
  await page.getByRole("button", { name: "Sign out" }).click();

  // The patient sees their visit with the new doctor, same time.
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(patientEmail);
  await page.getByLabel("Password").fill("a long enough passphrase");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  await page.goto(`/appointments/${appointmentId}`);
  await expect(page.getByText(newDoctorName)).toBeVisible();
  expect(startLocal).toMatch(/\d\d:\d\d/);
});

test("a doctor changes their weekly hours from a date, with a preview of what changes", async ({ page }, testInfo) => {
  const doctor = "lena.fischer@riverside.test"; // weekday mornings
  await signInAs(page, doctor);
  await expect(page).toHaveURL(/\/doctor/);
  await page.goto("/doctor/hours");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Your weekly hours");
  await expect(page.locator("dl.hours-week").first()).toContainText("09:00–13:00");
  await expectAccessible(page, "weekly hours");
  await expectNoHorizontalScroll(page);

  // Saturday mornings on or off (the test runs on two screen sizes, one after the other).
  const saturday = page.getByLabel("Saturday", { exact: true });
  const hadSaturday = (await saturday.inputValue()).trim() !== "";
  await saturday.fill(hadSaturday ? "" : "09:00-11:00");
  // A mistake first: named, next to its day.
  await page.getByLabel("Sunday", { exact: true }).fill("10:00-09:00");
  await page.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByText("Sunday: 10:00-09:00 ends before it starts.")).toBeVisible();
  await expect(page.getByLabel("Sunday", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Sunday", { exact: true }).fill("");
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("hours-preview");
  await expect(preview).toContainText(hadSaturday ? "Saturday: 09:00–11:00 → Not working" : "Saturday: Not working → 09:00–11:00");
  await expect(preview).toContainText(hadSaturday ? /free time\(s\) would be removed/ : /free time\(s\) would be added/);
  await expectAccessible(page, "weekly hours preview");
  await screenshot(page, testInfo, "doctor-hours-preview");
  await hydrated(page);
  await page.getByRole("button", { name: "Save these hours" }).click();
  const saved = page.getByTestId("hours-saved");
  await expect(saved).toContainText("Saved. Your new hours start on");
  // The hours in effect now show the change.
  await expect(page.locator("dl.hours-week").first()).toContainText(hadSaturday ? /Saturday\s*Not working/ : /Saturday\s*09:00–11:00/);
  const slots = Number(sql(
    `select count(*) from availability_slots s join doctors d using (doctor_id) join users u on u.user_id = d.user_id
      cross join clinic_settings c
      where u.email = '${doctor}' and s.start_time > now() and extract(isodow from s.start_time at time zone c.time_zone) = 6`,
  ));
  expect(slots > 0).toBe(!hadSaturday);
});

test("the doctor's week: seven days on a wide screen, one day at a time on a phone", async ({ page }, testInfo) => {
  await signInAs(page, "ada.okafor@riverside.test");
  await expect(page).toHaveURL(/\/doctor/);
  await hydrated(page);
  // Today's list heads the page, whichever week is shown.
  await expect(page.getByRole("heading", { name: /^Today, / })).toBeVisible();
  const days = page.locator("section.doctor-day");
  await expect(days).toHaveCount(7);
  const phone = testInfo.project.name === "phone";
  const dayLinks = page.getByRole("navigation", { name: "Days of this week" }).getByRole("link");
  if (phone) {
    await expect(page.locator("section.doctor-day:visible")).toHaveCount(1);
    await dayLinks.nth(4).click();
    await expect(page).toHaveURL(/day=/);
    await expect(page.locator("section.doctor-day:visible")).toHaveCount(1);
    await expect(page.locator("section.doctor-day.selected")).toBeVisible();
    await expect(dayLinks.nth(4)).toHaveAttribute("aria-current", "page");
    await expectNoHorizontalScroll(page);
    await screenshot(page, testInfo, "doctor-day-phone");
  } else {
    await expect(page.locator("section.doctor-day:visible")).toHaveCount(7);
    await expect(dayLinks.first()).toBeHidden();
  }
  await page.goto("/doctor?week=" + sql("select (current_date + 14)::text"));
  await hydrated(page);
  await expect(page.getByRole("heading", { name: /^Today, / })).toBeVisible();
});
