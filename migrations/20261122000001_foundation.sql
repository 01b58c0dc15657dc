-- Schema v1: clinic settings, appointment types, accounts, doctors, patients.
-- Conventions: lowercase SQL, `<table>_id` keys, every instant a timestamptz (UTC).

-- The clinic's policy: exactly one row (the key can only be `true`). Defaults are the
-- product defaults; the CHECKs mirror `domain::ClinicPolicy::parse` so a bad value can
-- never be stored even by hand.
create table clinic_settings (
    clinic_settings_id            boolean primary key default true check (clinic_settings_id),
    clinic_name                   text not null default 'Clinic Scheduler'
                                  check (length(btrim(clinic_name)) between 1 and 200),
    clinic_phone                  text not null default '',
    clinic_email                  text not null default '',
    clinic_address                text not null default '',
    time_zone                     text not null default 'America/New_York',
    slot_minutes                  integer not null default 30
                                  check (slot_minutes between 5 and 240 and 1440 % slot_minutes = 0),
    booking_horizon_days          integer not null default 60 check (booking_horizon_days between 1 and 366),
    min_notice_minutes            integer not null default 120 check (min_notice_minutes >= 0),
    hold_minutes                  integer not null default 5 check (hold_minutes between 1 and 60),
    change_freeze_minutes         integer not null default 1440 check (change_freeze_minutes >= 0),
    max_changes_per_appointment   integer not null default 3 check (max_changes_per_appointment >= 0),
    max_active_appointments       integer not null default 3 check (max_active_appointments >= 1),
    reminder_lead_minutes         integer not null default 1440 check (reminder_lead_minutes > 0),
    notification_debounce_minutes integer not null default 5 check (notification_debounce_minutes >= 0),
    updated_at                    timestamptz not null default now()
);
insert into clinic_settings default values;

-- What a patient picks before seeing times; a type spans consecutive slots of one doctor.
create table appointment_types (
    appointment_type_id bigint generated always as identity primary key,
    name                text not null unique check (length(btrim(name)) between 1 and 60),
    slot_count          integer not null check (slot_count between 1 and 16),
    active              boolean not null default true,
    sort_order          integer not null default 0
);
insert into appointment_types (name, slot_count, sort_order) values
    ('Standard', 1, 1),
    ('Long', 2, 2);

-- Every person who signs in. Emails are stored lowercased, which makes the unique key
-- case-insensitive.
create table users (
    user_id       bigint generated always as identity primary key,
    email         text not null check (email = lower(email) and email like '_%@_%'),
    role          text not null check (role in ('patient', 'doctor', 'admin')),
    password_hash text not null,
    disabled_at   timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint users_email_key unique (email)
);

create table doctors (
    doctor_id  bigint generated always as identity primary key,
    user_id    bigint not null unique references users (user_id),
    first_name text not null check (length(btrim(first_name)) between 1 and 100),
    last_name  text not null check (length(btrim(last_name)) between 1 and 100),
    specialty  text not null default 'General practice' check (length(specialty) <= 100),
    active     boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index doctors_active_name_idx on doctors (last_name, first_name) where active;

create table patients (
    patient_id  bigint generated always as identity primary key,
    user_id     bigint not null unique references users (user_id),
    first_name  text not null check (length(btrim(first_name)) between 1 and 100),
    last_name   text not null check (length(btrim(last_name)) between 1 and 100),
    phone       text check (phone is null or phone ~ '^\+?[0-9 ()-]{6,25}$'),
    sms_opt_in  boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
