-- Waitlist offers (issue 25, second part): a time that becomes bookable is offered to the
-- waiting patients it suits, in waves, each offer carrying a one-action link.
--
--   availability_slots ──trigger──▶ waitlist_freed (a queue: doctor, start)
--        the engine (server/src/jobs.rs → services/waitlist/engine.rs) turns each freed
--        slot into openings — one per (doctor, start, visit type) that fits there —
--        and sends each opening's offers in waves;
--   taking an offer (services/booking/from_offer.rs) books or moves the visit and closes
--   the opening.

-- Freed slots, queued by the trigger below in the transaction that freed them (so a
-- freed time is never missed, whatever freed it: a cancellation, a move, new hours, a
-- block or leave undone, a holiday removed, a hold released or swept, a doctor active
-- again). Only while someone waits: an empty waitlist costs one index probe per
-- statement on the slots. The engine polls the queue every second.
create table waitlist_freed (
    freed_id   bigint generated always as identity primary key,
    doctor_id  bigint not null,
    start_time timestamptz not null,
    freed_at   timestamptz not null default now()
);

create function waitlist_note_freed() returns trigger language plpgsql as $$
begin
    if not exists (select 1 from waitlist_entries where ended_at is null) then
        return null;
    end if;
    if tg_op = 'INSERT' then
        insert into waitlist_freed (doctor_id, start_time)
        select doctor_id, start_time from new_rows where status = 'free';
    else
        insert into waitlist_freed (doctor_id, start_time)
        select n.doctor_id, n.start_time
          from new_rows n join old_rows o using (slot_id)
         where n.status = 'free' and o.status <> 'free';
    end if;
    return null;
end $$;

create trigger waitlist_slots_inserted after insert on availability_slots
    referencing new table as new_rows
    for each statement execute function waitlist_note_freed();
create trigger waitlist_slots_updated after update on availability_slots
    referencing old table as old_rows new table as new_rows
    for each statement execute function waitlist_note_freed();

-- A doctor made active again: their free times are bookable again without any slot
-- changing, so they are queued here.
create function waitlist_note_doctor_back() returns trigger language plpgsql as $$
begin
    if exists (select 1 from waitlist_entries where ended_at is null) then
        insert into waitlist_freed (doctor_id, start_time)
        select doctor_id, start_time from availability_slots
         where doctor_id = new.doctor_id and status = 'free' and start_time > now();
    end if;
    return null;
end $$;

create trigger waitlist_doctor_back after update of active on doctors
    for each row when (not old.active and new.active)
    execute function waitlist_note_doctor_back();

-- A bookable time of one doctor for one visit type, being offered. Closed when an offer
-- filled it ('filled'), someone booked it otherwise or it closed ('gone'), nobody suitable
-- was left ('nobody'), or it came too close to book ('passed').
create table waitlist_openings (
    opening_id          bigint generated always as identity primary key,
    doctor_id           bigint not null references doctors (doctor_id),
    start_time          timestamptz not null,
    appointment_type_id bigint not null references appointment_types (appointment_type_id),
    freed_at            timestamptz not null,
    opened_at           timestamptz not null,
    waves               integer not null default 0,
    next_wave_at        timestamptz not null,
    closed_at           timestamptz,
    outcome             text check (outcome in ('filled', 'gone', 'nobody', 'passed')),
    -- Filled: the visit booked or moved into it, and the days it came earlier (null for
    -- a patient who had no visit yet).
    filled_appointment_id bigint references appointments (appointment_id),
    days_gained         integer,
    constraint waitlist_openings_closed_check check ((closed_at is null) = (outcome is null))
);
create unique index waitlist_openings_live on waitlist_openings (doctor_id, start_time, appointment_type_id)
    where closed_at is null;
create index waitlist_openings_due on waitlist_openings (next_wave_at) where closed_at is null;
create index waitlist_openings_freed on waitlist_openings (freed_at);

-- One offer of an opening to one waiting patient. The link's token is stored as its
-- SHA-256 only. Outcome: taken (by this patient), taken_by_other (the time went to
-- someone else first), expired, withdrawn (the patient left the list or their place
-- ended otherwise).
create table waitlist_offers (
    offer_id          bigint generated always as identity primary key,
    opening_id        bigint not null references waitlist_openings (opening_id),
    waitlist_entry_id bigint not null references waitlist_entries (waitlist_entry_id),
    patient_id        bigint not null references patients (patient_id),
    wave              integer not null check (wave >= 1),
    token_hash        bytea not null,
    created_at        timestamptz not null,
    expires_at        timestamptz not null,
    outcome           text check (outcome in ('taken', 'taken_by_other', 'expired', 'withdrawn')),
    answered_at       timestamptz,
    constraint waitlist_offers_token_key unique (token_hash),
    constraint waitlist_offers_once unique (opening_id, waitlist_entry_id),
    constraint waitlist_offers_answer_check check ((answered_at is null) = (outcome is null))
);
create index waitlist_offers_pending on waitlist_offers (expires_at) where outcome is null;
create index waitlist_offers_pending_entry on waitlist_offers (waitlist_entry_id) where outcome is null;
create index waitlist_offers_patient on waitlist_offers (patient_id, created_at);

-- The offer message names its offer (the time, doctor and expiry are read at send time:
-- an offer no longer open by then is not sent).
alter table notifications add column waitlist_offer_id bigint references waitlist_offers (offer_id);
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt', 'account_invitation',
    'two_step_on', 'two_step_off', 'passkey_added', 'passkey_removed',
    'waitlist_offer'));
