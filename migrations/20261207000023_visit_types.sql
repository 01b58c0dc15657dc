-- Visit types the clinic defines (issue 27): a buffer after the visit, online or
-- staff-only, a note shown before booking, a few intake questions, and which doctors
-- offer each. Doctors' public profiles gain languages and an introduction.

alter table appointment_types
    -- Booked time of the same doctor after the visit (cleaning, notes), in slots.
    add column buffer_slots integer not null default 0 check (buffer_slots between 0 and 8),
    -- Patients may book it themselves; otherwise only staff book it.
    add column online boolean not null default true,
    -- Every active doctor offers it (the default, and what rows made before this had);
    -- otherwise only the doctors in doctor_appointment_types.
    add column all_doctors boolean not null default true,
    add column booking_note text check (length(booking_note) <= 300),
    add constraint appointment_types_length_check check (slot_count + buffer_slots <= 16);

create table doctor_appointment_types (
    doctor_id           bigint not null references doctors (doctor_id),
    appointment_type_id bigint not null references appointment_types (appointment_type_id),
    primary key (appointment_type_id, doctor_id)
);
create index doctor_appointment_types_doctor_idx on doctor_appointment_types (doctor_id);

-- Up to a few questions asked when booking; the answers go with the visit to its doctor
-- and staff, never into messages or logs.
create table appointment_type_questions (
    question_id         bigint generated always as identity primary key,
    appointment_type_id bigint not null references appointment_types (appointment_type_id),
    position            integer not null check (position between 1 and 5),
    prompt              text not null check (length(btrim(prompt)) between 1 and 200),
    kind                text not null check (kind in ('text', 'yes_no')),
    required            boolean not null default false,
    unique (appointment_type_id, position)
);

create table appointment_intake_answers (
    appointment_id bigint not null references appointments (appointment_id),
    position       integer not null,
    prompt         text not null,           -- as asked, so later edits of the type keep it
    answer         text not null check (length(answer) <= 500),
    primary key (appointment_id, position)
);

alter table appointments
    -- End of the buffer after the visit (booked time of the doctor), when the type has one.
    add column buffer_until timestamptz check (buffer_until > end_time),
    -- The patient asked for this doctor (not assigned by the clinic).
    add column doctor_chosen boolean not null default false;

-- A buffer is the doctor's booked time: no other visit of theirs may overlap it.
alter table appointments drop constraint appointments_no_overlap;
alter table appointments add constraint appointments_no_overlap
    exclude using gist (doctor_id with =, tstzrange(start_time, coalesce(buffer_until, end_time)) with &&)
    where (status <> 'cancelled');

alter table doctors
    add column languages text[] not null default '{}'
        check (cardinality(languages) <= 10),
    add column introduction text check (length(introduction) <= 600);

-- The finder's cache of offered types includes who offers them and their questions.
create trigger doctor_appointment_types_changed after insert or update or delete on doctor_appointment_types
    for each statement execute function availability_notify_settings();
create trigger appointment_type_questions_changed after insert or update or delete on appointment_type_questions
    for each statement execute function availability_notify_settings();
-- The finder's cache holds the doctors' public profiles too (choosing a doctor).
create trigger doctors_changed_settings after insert or update or delete on doctors
    for each statement execute function availability_notify_settings();
