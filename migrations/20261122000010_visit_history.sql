-- A visit's outcome is part of its history too (the doctor's page shows every change).
alter table appointment_events drop constraint appointment_events_kind_check;
alter table appointment_events add constraint appointment_events_kind_check
    check (kind in ('booked', 'rescheduled', 'cancelled', 'reassigned', 'completed', 'no_show'));
