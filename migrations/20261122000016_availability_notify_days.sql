-- A slot change now names the span it touched: 'doctor:<id>:<from>:<to>' (epoch seconds:
-- the changed slots' earliest start and latest end), and every instance reloads only that
-- doctor's clinic days in the span. Before, each change reloaded the doctor's whole
-- horizon (about 1,500 rows, twice per booking), which took most of the database's time
-- under booking load. 'doctor:<id>' alone (activated or deactivated) still reloads all of
-- that doctor. Identical notifications within a transaction are still folded into one.
-- An instance from before this migration reads the longer payload as unknown and rebuilds
-- everything: correct, only slower, until it is replaced.
create or replace function availability_notify_slots() returns trigger language plpgsql as $$
begin
    if tg_op in ('INSERT', 'UPDATE') then
        perform pg_notify('availability', 'doctor:' || doctor_id || ':'
                          || extract(epoch from first_start)::bigint || ':'
                          || extract(epoch from last_end)::bigint)
        from (select doctor_id, min(start_time) first_start, max(end_time) last_end
                from new_rows group by doctor_id) changed;
    end if;
    if tg_op in ('DELETE', 'UPDATE') then
        perform pg_notify('availability', 'doctor:' || doctor_id || ':'
                          || extract(epoch from first_start)::bigint || ':'
                          || extract(epoch from last_end)::bigint)
        from (select doctor_id, min(start_time) first_start, max(end_time) last_end
                from old_rows group by doctor_id) changed;
    end if;
    return null;
end $$;
