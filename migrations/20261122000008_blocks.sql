-- A doctor's blocks and leave: blocked slots keep an optional note (shown only to the
-- doctor and staff).
alter table availability_slots add column block_note text check (length(block_note) <= 200);
alter table availability_slots add constraint availability_slots_note_only_blocked_check
    check (block_note is null or status = 'blocked');
