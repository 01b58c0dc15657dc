-- Booking rules the database now enforces for patients too, and the staff attention queue.

-- A patient is never in two places at once: no two live visits of one patient overlap,
-- whichever doctors they are with (two tabs booking two doctors at the same time).
alter table appointments
    add constraint appointments_patient_no_overlap
    exclude using gist (patient_id with =, tstzrange(start_time, end_time) with &&)
    where (status <> 'cancelled');

-- The hold an appointment was confirmed from: a second tab confirming the same hold is
-- told it is already booked (and where), not that it "ran out".
alter table appointments add column hold_token uuid;
create unique index appointments_hold_token_key on appointments (hold_token) where hold_token is not null;

-- Appointments the clinic must deal with by hand: their doctor became unavailable and no
-- other doctor could take them (or not yet: reassignment comes with the doctor portal).
-- The appointment keeps its slots until staff resolve the item.
create table attention_items (
    attention_item_id   bigint generated always as identity primary key,
    appointment_id      bigint not null references appointments (appointment_id),
    cause               text not null check (cause in (
                            'doctor_inactive', 'doctor_blocked', 'doctor_leave', 'holiday', 'hours_changed')),
    created_at          timestamptz not null default now(),
    resolved_at         timestamptz,
    resolved_by_user_id bigint references users (user_id),
    resolution          text check (length(resolution) <= 500),
    constraint attention_items_resolved_check check ((resolved_at is null) = (resolved_by_user_id is null))
);
-- One open item per appointment.
create unique index attention_items_open_key on attention_items (appointment_id) where resolved_at is null;
create index attention_items_open_idx on attention_items (created_at) where resolved_at is null;
