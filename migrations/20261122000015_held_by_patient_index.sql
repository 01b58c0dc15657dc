-- A new hold first lets go of the patient's previous one (`release_holds_of`): without
-- this index that was a scan of every slot, on every hold.
create index availability_slots_held_by_patient_idx on availability_slots (hold_patient_id)
    where status = 'held';
