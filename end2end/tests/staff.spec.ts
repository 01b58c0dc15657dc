import { test, expect, Page } from "@playwright/test";
import { expectAccessible, hydrated, screenshot, signInStaff, signUp, sql, uniqueEmail, timeButton } from "./helpers";

async function signInAsAdmin(page: Page) {
  await signInStaff(page, "admin@riverside.test", "/admin");
  await expect(page).toHaveURL(/\/admin$/);
}

/** Goes to a staff page through the staff navigation, checks it (axe) and keeps a picture. */
async function openSection(page: Page, name: string, testInfo: import("@playwright/test").TestInfo) {
  await page.getByRole("navigation", { name: "Staff portal" }).getByRole("link", { name, exact: true }).click();
  await hydrated(page);
  await expectAccessible(page, `staff ${name}`);
  await screenshot(page, testInfo, `staff-${name.toLowerCase().replace(/ /g, "-")}`);
}

/** A local date and clock label ("5:00 AM") of an instant, in the clinic's zone. */
function local(instantSql: string): [string, string] {
  return sql(
    `select (t at time zone c.time_zone)::date || '|' || to_char(t at time zone c.time_zone, 'FMHH12:MI AM')
       from clinic_settings c, (select (${instantSql}) as t) x`,
  ).split("|") as [string, string];
}

test("staff run the clinic: a new doctor and hours, booking for a caller, a holiday resolved, audit and outbox", async ({ page, browser }, testInfo) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Today at the clinic");
  await expect(page.getByRole("img", { name: /This week/ })).toBeVisible();
  await expect(page.getByRole("table").filter({ hasText: "booked and offered" }).first()).toBeVisible();
  await expectAccessible(page, "staff today");
  await screenshot(page, testInfo, "staff-today");

  // A new doctor account, then their weekly hours from the doctor's staff page. They
  // also work through the night, so times exist whenever this runs (deactivated at the end).
  const doctorEmail = uniqueEmail("newdoc");
  const lastName = `Newman${testInfo.retry}`;
  await openSection(page, "Accounts", testInfo);
  await page.getByLabel("Role").selectOption("doctor");
  await page.getByLabel("First name").fill("Nora");
  await page.getByLabel("Last name").fill(lastName);
  await page.getByLabel("Email").fill(doctorEmail);
  await page.getByLabel("Specialty (doctors)").fill("Family medicine");
  await page.getByLabel("First password").fill("a long enough passphrase");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText(`Created ${doctorEmail}.`)).toBeVisible();

  await openSection(page, "Doctors", testInfo);
  await page.getByRole("link", { name: `Dr. Nora ${lastName}` }).click();
  await expect(page).toHaveURL(/\/admin\/doctors\/\d+/);
  await hydrated(page);
  const allDay = "00:00-23:30";
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await page.getByLabel(day, { exact: true }).fill(allDay);
  }
  await page.getByRole("button", { name: "Preview the hours" }).click();
  await expect(page.getByRole("status").filter({ hasText: "would be added" })).toBeVisible();
  await expectAccessible(page, "staff doctor");
  await screenshot(page, testInfo, "staff-doctor-hours-preview");
  await hydrated(page);
  await page.getByRole("button", { name: "Save these hours" }).click();
  await expect(page.getByText("Saved.").first()).toBeVisible();
  const doctorId = sql(`select d.doctor_id from doctors d join users u using (user_id) where u.email = '${doctorEmail}'`);

  // A patient books one of the new doctor's times: 05:00 two days ahead, when nobody
  // else works, so it is theirs.
  const patientEmail = uniqueEmail("staffjourney");
  const patientPage = await (await browser.newContext()).newPage();
  await signUp(patientPage, patientEmail, "/book");
  const early = `select s.start_time from availability_slots s cross join clinic_settings c
      where s.doctor_id = ${doctorId} and s.status = 'free'
        and (s.start_time at time zone c.time_zone)::date = (now() at time zone c.time_zone)::date + 2
        and to_char(s.start_time at time zone c.time_zone, 'HH24:MI') = '05:00'`;
  const [earlyDay, earlyClock] = local(early);
  const weekday = sql(`select to_char('${earlyDay}'::date, 'FMDay, FMMonth FMDD')`);
  await patientPage.goto(`/book?week=${earlyDay}`);
  await hydrated(patientPage);
  await (await timeButton(patientPage, `${earlyClock} on ${weekday}`)).click();
  await expect(patientPage).toHaveURL(/\/book\/confirm\?hold=/);
  await hydrated(patientPage);
  await patientPage.getByRole("button", { name: "Confirm appointment" }).click();
  await expect(patientPage).toHaveURL(/\/appointments\/(\d+)\?booked=1/);
  const bookedId = patientPage.url().match(/\/appointments\/(\d+)/)![1];
  expect(sql(`select doctor_id from appointments where appointment_id = ${bookedId}`)).toBe(doctorId);

  // Someone calls: recorded without an online account, then booked inside the
  // patients' notice time — which needs a reason.
  await openSection(page, "Patients", testInfo);
  const callerLast = `Caller${Date.now() % 100000}`;
  await page.getByLabel("First name").fill("Pia");
  await page.getByLabel("Last name").fill(callerLast);
  await page.getByLabel("Phone", { exact: true }).fill("+1 555 010 3344");
  await page.getByRole("button", { name: "Record the patient" }).click();
  await expect(page).toHaveURL(/\/admin\/patients\/\d+/);
  await hydrated(page);
  await expect(page.getByText("No email address: no online account")).toBeVisible();
  const soon = `select min(start_time) from availability_slots where doctor_id = ${doctorId} and status = 'free'
      and start_time > now() + interval '15 minutes' and start_time < now() + interval '110 minutes'`;
  const [soonDay, soonClock] = local(soon);
  await page.getByLabel("Visit type").selectOption({ label: "Standard (30 min)" });
  await page.getByLabel("Day").fill(soonDay);
  await page.getByRole("button", { name: "Show open times" }).click();
  await hydrated(page);
  await page.getByRole("radio", { name: soonClock, exact: true }).check();
  await page.getByRole("button", { name: "Book the visit" }).click();
  await expect(page.getByText(/reason/i).filter({ hasText: "Staff must give a reason" })).toBeVisible();
  await page.getByRole("radio", { name: soonClock, exact: true }).check();
  await page.getByLabel("Reason, if this passes a patient rule").fill("called in pain, seen today");
  await page.getByRole("button", { name: "Book the visit" }).click();
  await expect(page.getByText(/Booked \(appointment #\d+\)/)).toBeVisible();
  await expectAccessible(page, "staff patient");
  await screenshot(page, testInfo, "staff-patient");
  const callerVisit = sql(
    `select a.appointment_id from appointments a join patients p using (patient_id) where p.last_name = '${callerLast}'`,
  );
  expect(sql(`select override_reason from appointment_events where appointment_id = ${callerVisit} and kind = 'booked'`))
    .toBe("called in pain, seen today");
  await page.getByRole("link", { name: /at / }).first().click();
  await expect(page).toHaveURL(new RegExp(`/admin/appointments/${callerVisit}`));
  await hydrated(page);
  await expect(page.locator("ol.history")).toContainText("Booked by the clinic staff");
  await expectAccessible(page, "staff appointment");
  await screenshot(page, testInfo, "staff-appointment");

  // A holiday over the patient's visit: previewed, added; the visit waits in the queue
  // and is resolved by moving it to a suggested time.
  await openSection(page, "Holidays", testInfo);
  await page.getByLabel("Day").fill(earlyDay);
  await page.getByLabel("Name").fill("Staff journey day");
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByRole("status").filter({ hasText: /sends \d+ booked visit/ });
  await expect(preview).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Add the holiday" }).click();
  await expect(page.getByText(/Added\. \d+ visit\(s\) are in the attention queue/)).toBeVisible();

  await openSection(page, "Attention queue", testInfo);
  // This visit's item (other journeys may have left visits on that day too).
  const item = page
    .locator("article.attention-item")
    .filter({ has: page.locator(`a[href="/admin/appointments/${bookedId}"]`) })
    .filter({ hasText: "Clinic holiday" });
  await expect(item).toBeVisible();
  await item.getByRole("radio").first().check();
  await item.getByLabel("Action").selectOption("move");
  await item.getByLabel("Note (required)").fill("phoned, moved to the next morning");
  await item.getByRole("button", { name: "Resolve" }).click();
  await expect(page.getByText("Done. The patient is told of any change.")).toBeVisible();
  expect(sql(`select count(*) from attention_items where appointment_id = ${bookedId} and resolved_at is null`)).toBe("0");
  expect(sql(`select (start_time at time zone c.time_zone)::date::text from appointments cross join clinic_settings c where appointment_id = ${bookedId}`))
    .not.toBe(earlyDay);

  // Appointments: search finds the caller's visit by name.
  await openSection(page, "Appointments", testInfo);
  await page.getByLabel("From").fill(soonDay);
  await page.getByLabel("Patient name or email").fill(callerLast);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("link", { name: `Pia ${callerLast}` })).toBeVisible();

  // The outbox: a message given up on, retried.
  sql(`update notifications set status = 'dead', attempts = 8, last_error = '550 <${patientEmail}> unavailable'
        where notification_id = (select max(notification_id) from notifications where appointment_id = ${bookedId})`);
  await openSection(page, "Notifications", testInfo);
  await page.getByRole("link", { name: /^dead \(\d+\)$/ }).click();
  await expect(page.getByRole("cell", { name: "550 [address] unavailable" }).first()).toBeVisible();
  await expect(page.getByText(patientEmail)).toHaveCount(0);
  await hydrated(page);
  await page.getByRole("button", { name: /^Retry message \d+$/ }).first().click();
  await expect(page.getByText(/1 message\(s\) queued again/)).toBeVisible();

  // The audit log: the staff's actions of this journey, and the chain verified.
  await openSection(page, "Audit log", testInfo);
  await page.getByLabel("Actor email (part)").fill("admin@riverside");
  await page.getByLabel("Action (start, e.g. appointment.)").fill("appointment.book");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("cell", { name: "called in pain, seen today" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Check the chain" }).click();
  await expect(page.getByTestId("chain-result")).toContainText("The chain is intact");
  const csv = await page.request.get("/admin/audit.csv?action=attention.resolve");
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain("phoned, moved to the next morning");

  await openSection(page, "Settings", testInfo);
  await expect(page.getByLabel("Slot length (minutes)")).toHaveValue("30");

  // Cleanup that is itself a journey: the holiday goes, the night doctor is deactivated
  // (with the preview first).
  await openSection(page, "Holidays", testInfo);
  await page.getByRole("button", { name: /Remove the holiday on/ }).first().click();
  await expect(page.getByText("Removed: the day is open again.")).toBeVisible();
  await page.goto(`/admin/doctors/${doctorId}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Preview deactivation" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Deactivating moves \d+ upcoming visit/ })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Deactivate the doctor" }).click();
  await expect(page.getByText(/Done\. \d+ visit\(s\) moved/)).toBeVisible();
  expect(sql(`select active from doctors where doctor_id = ${doctorId}`)).toBe("f");
});

test("every staff page fits a phone's width", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signInAsAdmin(page);
  const patient = sql("select min(patient_id) from patients");
  const doctor = sql("select min(doctor_id) from doctors");
  const visit = sql("select min(appointment_id) from appointments");
  for (const path of [
    "/admin", "/admin/appointments", `/admin/appointments/${visit}`, "/admin/patients?q=a", `/admin/patients/${patient}`,
    "/admin/doctors", `/admin/doctors/${doctor}`, "/admin/accounts", "/admin/holidays", "/admin/attention",
    "/admin/notifications", "/admin/audit", "/admin/settings",
  ]) {
    await page.goto(path);
    await hydrated(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, path).toBeLessThanOrEqual(375);
  }
  await context.close();
});
