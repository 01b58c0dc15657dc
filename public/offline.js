// The offline page: the service worker answers a page request with it when the network
// is gone. It shows the visits the app saved for the signed-in patient on this device
// (the "visits-…" cache the app writes and empties; see app/src/components/offline.rs),
// and nothing when none are saved or the session they belong to would have ended.
// Everything is written with textContent: saved text never becomes markup.

const SNAPSHOT = "/offline/visits.json";

async function savedVisits() {
  if (!("caches" in self)) return null;
  const names = (await caches.keys()).filter((name) => name.startsWith("visits-"));
  // The app keeps one patient's at a time. More than one means it could not tell whose
  // is whose: show nothing, keep nothing.
  if (names.length > 1) {
    await Promise.all(names.map((name) => caches.delete(name)));
    return null;
  }
  for (const name of names) {
    const hit = await (await caches.open(name)).match(SNAPSHOT);
    let saved = null;
    try {
      saved = hit ? await hit.json() : null;
    } catch (_unreadable) {
      saved = null;
    }
    // Past the moment the session would have ended by itself: gone for good.
    if (!saved || !saved.until || !(Date.parse(saved.until) > Date.now())) {
      await caches.delete(name);
      continue;
    }
    return saved;
  }
  return null;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function asOf(iso) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const sameDay = when.toDateString() === new Date().toDateString();
  return sameDay ? time : `${when.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
}

function item(v) {
  return el(
    "li",
    { class: "appointment", "data-appointment-id": String(v.id) },
    el("p", { class: "when" }, el("a", { href: `/appointments/${v.id}` }, v.when)),
    v.for_name ? el("p", { class: "for-whom" }, `For ${v.for_name}`) : null,
    el("p", {}, `${v.type_name} with ${v.doctor_name}`),
    v.clinic_note ? el("p", { class: "clinic-note" }, v.clinic_note) : null,
    el("p", { class: "status" }, `Status: ${v.status}`),
  );
}

function list(saved) {
  const now = Date.now();
  const upcoming = saved.visits
    .filter((v) => v.booked && Date.parse(v.end) > now)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const past = saved.visits.filter((v) => !upcoming.includes(v));
  const section = (id, title, visits, empty) =>
    el(
      "section",
      { "aria-labelledby": id },
      el("h2", { id }, title),
      visits.length
        ? el("ul", { class: "appointments" }, ...visits.map(item))
        : el("p", { class: "empty" }, empty),
    );
  document.title = "My appointments (offline) · Clinic Scheduler";
  return [
    el("h1", {}, "My appointments"),
    section("upcoming-heading", "Upcoming", upcoming, "You have no upcoming appointments."),
    section("past-heading", "Past and cancelled", past, "Nothing here yet."),
  ];
}

function detail(saved, id) {
  const v = saved.visits.find((visit) => visit.id === id);
  if (!v) {
    return [
      el("h1", {}, "Your appointment"),
      el("p", {}, "This appointment is not saved on this device."),
      el("p", {}, el("a", { href: "/appointments" }, "My appointments")),
    ];
  }
  const row = (term, value, cls) => [el("dt", {}, term), el("dd", cls ? { class: cls } : {}, value)];
  document.title = "Your appointment (offline) · Clinic Scheduler";
  return [
    el("h1", {}, v.for_name ? `${v.for_name}'s appointment` : "Your appointment"),
    el(
      "dl",
      { class: "details", "data-start": v.start },
      ...(v.for_name ? row("For", v.for_name, "for-whom") : []),
      ...row("When", v.when),
      ...row("Visit", v.visit),
      ...row("Doctor", v.doctor_name),
      ...(v.clinic_note ? row("Note", v.clinic_note) : []),
      ...row("Where", saved.where),
      ...row("Status", v.status),
      ...(v.confirmed ? row("Confirmed", "You told us you will be there.") : []),
    ),
    el("p", {}, el("a", { href: "/appointments" }, "All my appointments")),
  ];
}

async function show() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const banner = document.getElementById("offline-banner");
  const content = document.getElementById("offline-content");
  const saved = await savedVisits();
  const visit = path.match(/^\/appointments\/(\d+)$/);
  let parts = null;
  if (saved && path === "/appointments") parts = list(saved);
  else if (saved && visit) parts = detail(saved, Number(visit[1]));
  if (parts) {
    banner.textContent = `Offline — shown as of ${asOf(saved.saved_at)}; changes need a connection.`;
    content.replaceChildren(...parts);
    return;
  }
  const toSaved = saved
    ? el("p", {}, "Your appointments as last seen on this device: ", el("a", { href: "/appointments" }, "My appointments"), ".")
    : null;
  if (path === "/book" || path.startsWith("/book/")) {
    banner.textContent = "Offline — finding a time needs a connection.";
    document.title = "Book an appointment (offline) · Clinic Scheduler";
    content.replaceChildren(
      el("h1", {}, "Book an appointment"),
      el("p", {}, "Finding a free time needs a connection: times change as others book. Try again when you are back online."),
      ...(toSaved ? [toSaved] : []),
    );
    return;
  }
  if (path === "/appointments" || visit) {
    content.replaceChildren(
      el("h1", {}, "My appointments"),
      el("p", {}, "Nothing is saved on this device. Sign in when you are back online to see your appointments."),
    );
    return;
  }
  if (toSaved) content.append(toSaved);
}

document.getElementById("offline-retry").addEventListener("click", () => location.reload());
window.addEventListener("online", () => location.reload());
show();
