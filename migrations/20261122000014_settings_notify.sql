-- The finder reads the clinic's policy and appointment types on every request; each
-- instance caches them (app/src/server/availability.rs) and drops the cache when told
-- 'settings' on channel `availability`: any change to either table.
create function availability_notify_settings() returns trigger language plpgsql as $$
begin
    perform pg_notify('availability', 'settings');
    return null;
end $$;

create trigger clinic_settings_changed after insert or update or delete on clinic_settings
    for each statement execute function availability_notify_settings();
create trigger appointment_types_changed after insert or update or delete on appointment_types
    for each statement execute function availability_notify_settings();
