-- A doctor's name as patients and staff read it, in one place for every query
-- (domain::directory::doctor_display_name is the same rule in Rust; a test holds them
-- together).
create or replace function doctor_display_name(first_name text, last_name text)
returns text language sql immutable parallel safe
as $$ select 'Dr. ' || first_name || ' ' || last_name $$;
