-- The waitlist (issue 25): patients who asked to hear of an earlier time for a visit they
-- have, or of any time of a visit type when nothing suited them. The rules (limits, the
-- fair order, quiet hours) are in domain/src/waitlist.rs.

create table waitlist_entries (
    waitlist_entry_id   bigint generated always as identity primary key,
    patient_id          bigint not null references patients (patient_id),
    appointment_type_id bigint not null references appointment_types (appointment_type_id),
    -- The visit to bring earlier; null: waiting without a visit.
    appointment_id      bigint references appointments (appointment_id),
    -- Bit 0 Monday … bit 6 Sunday.
    weekdays            smallint not null default 127 check (weekdays between 1 and 127),
    part_of_day         text not null default 'any'
                        check (part_of_day in ('any', 'morning', 'afternoon', 'evening')),
    not_before          date,
    created_at          timestamptz not null,
    ended_at            timestamptz,
    end_reason          text check (end_reason in ('left', 'booked', 'visit_gone', 'staff')),
    constraint waitlist_entries_end_check check ((ended_at is null) = (end_reason is null))
);
-- One live entry per visit, and one per patient and type without a visit.
create unique index waitlist_entries_live_visit on waitlist_entries (appointment_id)
    where ended_at is null and appointment_id is not null;
create unique index waitlist_entries_live_type on waitlist_entries (patient_id, appointment_type_id)
    where ended_at is null and appointment_id is null;
-- The engine reads the live entries of a type, longest waiting first.
create index waitlist_entries_live_by_type on waitlist_entries (appointment_type_id, created_at)
    where ended_at is null;

-- The clinic's waitlist settings: offers go out in waves of `waitlist_wave_size`, the
-- next wave `waitlist_wave_minutes` later if the time is still free; an offer lasts
-- `waitlist_offer_minutes`; a patient gets at most `waitlist_daily_cap` offers a day; no
-- texts between `sms_quiet_start` and `sms_quiet_end` (clinic local time, may wrap past
-- midnight).
alter table clinic_settings
    add column waitlist_wave_size    integer not null default 3 check (waitlist_wave_size between 1 and 50),
    add column waitlist_wave_minutes integer not null default 15 check (waitlist_wave_minutes between 1 and 1440),
    add column waitlist_offer_minutes integer not null default 120 check (waitlist_offer_minutes between 5 and 2880),
    add column waitlist_daily_cap    integer not null default 3 check (waitlist_daily_cap between 1 and 20),
    add column sms_quiet_start       time not null default '21:00',
    add column sms_quiet_end         time not null default '08:00';
