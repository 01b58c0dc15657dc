-- Every instance keeps an in-memory index of open slots (app/src/server/availability.rs)
-- and listens on channel `availability` to keep it current:
--   'doctor:<id>'  reload that doctor's open slots (slots changed, or the doctor was
--                  activated or deactivated);
--   'all'          rebuild everything (slot length or time zone changed).
-- Statement-level with transition tables: one notification per doctor per statement, and
-- PostgreSQL folds identical ones within a transaction.

create function availability_notify_slots() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform pg_notify('availability', 'doctor:' || doctor_id)
        from (select distinct doctor_id from new_rows) changed;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform pg_notify('availability', 'doctor:' || doctor_id)
        from (select distinct doctor_id from old_rows) changed;
    end if;
    return null;
end $$;

create trigger availability_slots_inserted after insert on availability_slots
    referencing new table as new_rows
    for each statement execute function availability_notify_slots();
create trigger availability_slots_updated after update on availability_slots
    referencing old table as old_rows new table as new_rows
    for each statement execute function availability_notify_slots();
create trigger availability_slots_deleted after delete on availability_slots
    referencing old table as old_rows
    for each statement execute function availability_notify_slots();

create function availability_notify_doctor() returns trigger language plpgsql as $$
begin
    perform pg_notify('availability', 'doctor:' || new.doctor_id);
    return null;
end $$;

create trigger doctors_active_changed after update of active on doctors
    for each row when (old.active is distinct from new.active)
    execute function availability_notify_doctor();

create function availability_notify_all() returns trigger language plpgsql as $$
begin
    perform pg_notify('availability', 'all');
    return null;
end $$;

create trigger clinic_settings_grid_changed after update on clinic_settings
    for each row when (old.slot_minutes is distinct from new.slot_minutes
                       or old.time_zone is distinct from new.time_zone)
    execute function availability_notify_all();
