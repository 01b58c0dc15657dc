-- Booking engine: weekly hours, holidays, slots, appointments.
-- The database itself enforces that a doctor is never double-booked (PRODUCT.md rule 1).

create extension if not exists btree_gist;

-- A doctor's working intervals in the clinic's local time (ISO weekday: 1 = Monday).
create table weekly_hours (
    weekly_hours_id bigint generated always as identity primary key,
    doctor_id       bigint not null references doctors (doctor_id),
    weekday         smallint not null check (weekday between 1 and 7),
    start_time      time not null,
    end_time        time not null,
    effective_from  date not null,
    effective_until date,
    created_at      timestamptz not null default now(),
    constraint weekly_hours_time_check check (end_time > start_time),
    constraint weekly_hours_effective_check check (effective_until is null or effective_until >= effective_from)
);
create index weekly_hours_doctor_idx on weekly_hours (doctor_id);

-- Days the clinic is closed (local dates).
create table clinic_holidays (
    holiday_date date primary key,
    name         text not null check (length(btrim(name)) between 1 and 100),
    created_at   timestamptz not null default now()
);

-- One bookable unit of a doctor's time. `held` is a lease: it lapses by itself at
-- `hold_expires_at` (queries treat a lapsed hold as free; a sweeper tidies them).
create table availability_slots (
    slot_id         bigint generated always as identity primary key,
    doctor_id       bigint not null references doctors (doctor_id),
    start_time      timestamptz not null,
    end_time        timestamptz not null,
    status          text not null default 'free'
                    check (status in ('free', 'held', 'booked', 'blocked', 'holiday')),
    hold_token      uuid,
    hold_patient_id bigint references patients (patient_id),
    hold_expires_at timestamptz,
    -- What the hold is for, so confirming needs only the token.
    hold_appointment_type_id bigint references appointment_types (appointment_type_id),
    constraint availability_slots_time_check check (end_time > start_time),
    constraint availability_slots_hold_check check (
        (status = 'held' and hold_token is not null and hold_patient_id is not null
            and hold_expires_at is not null and hold_appointment_type_id is not null)
        or (status <> 'held' and hold_token is null and hold_patient_id is null
            and hold_expires_at is null and hold_appointment_type_id is null)
    ),
    constraint availability_slots_doctor_start_key unique (doctor_id, start_time),
    constraint availability_slots_no_overlap
        exclude using gist (doctor_id with =, tstzrange(start_time, end_time) with &&)
);
-- Availability reads scan open slots by time.
create index availability_slots_open_idx on availability_slots (start_time, doctor_id)
    where status in ('free', 'held');
create index availability_slots_hold_token_idx on availability_slots (hold_token) where hold_token is not null;

create table appointments (
    appointment_id      bigint generated always as identity primary key,
    patient_id          bigint not null references patients (patient_id),
    doctor_id           bigint not null references doctors (doctor_id),
    appointment_type_id bigint not null references appointment_types (appointment_type_id),
    start_time          timestamptz not null,
    end_time            timestamptz not null,
    status              text not null default 'booked'
                        check (status in ('booked', 'cancelled', 'completed', 'no_show')),
    -- Private to the patient and their doctor; never in notifications or logs.
    reason              text check (length(reason) <= 1000),
    change_count        integer not null default 0 check (change_count >= 0),
    booked_by_user_id   bigint not null references users (user_id),
    booked_by_role      text not null check (booked_by_role in ('patient', 'admin')),
    idempotency_key     uuid not null,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    cancelled_at        timestamptz,
    constraint appointments_time_check check (end_time > start_time),
    constraint appointments_cancelled_check check ((status = 'cancelled') = (cancelled_at is not null)),
    -- A repeated submit of the same confirmation finds this row instead of booking twice.
    constraint appointments_idempotency_key unique (patient_id, idempotency_key),
    -- No two live appointments of one doctor overlap.
    constraint appointments_no_overlap
        exclude using gist (doctor_id with =, tstzrange(start_time, end_time) with &&)
        where (status <> 'cancelled')
);
create index appointments_patient_idx on appointments (patient_id, start_time desc);
create index appointments_doctor_day_idx on appointments (doctor_id, start_time) where status <> 'cancelled';

-- Which slots a live appointment occupies. Rows are removed when the appointment is
-- cancelled or moved, so "a slot belongs to at most one appointment" is a unique key.
create table appointment_slots (
    appointment_id bigint not null references appointments (appointment_id),
    slot_id        bigint not null references availability_slots (slot_id),
    constraint appointment_slots_pkey primary key (appointment_id, slot_id),
    constraint appointment_slots_slot_key unique (slot_id)
);

-- History of every change to an appointment: who, what, and a staff override's reason.
-- Later work adds outbox and audit rows in the same transactions.
create table appointment_events (
    appointment_event_id bigint generated always as identity primary key,
    appointment_id       bigint not null references appointments (appointment_id),
    kind                 text not null check (kind in ('booked', 'rescheduled', 'cancelled', 'reassigned')),
    actor_user_id        bigint references users (user_id),
    actor_role           text not null check (actor_role in ('patient', 'doctor', 'admin', 'system')),
    old_start_time       timestamptz,
    new_start_time       timestamptz,
    old_doctor_id        bigint references doctors (doctor_id),
    new_doctor_id        bigint references doctors (doctor_id),
    override_reason      text check (length(override_reason) <= 500),
    created_at           timestamptz not null default now()
);
create index appointment_events_appointment_idx on appointment_events (appointment_id);
