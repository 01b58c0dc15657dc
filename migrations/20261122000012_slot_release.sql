-- A visit waiting for staff keeps its slots while the time around it is closed (a block,
-- leave, a holiday, hours that no longer cover it). When staff later move or cancel it,
-- its slots must not become bookable: `release_to` says what they turn into instead of
-- 'free' — blocked, holiday, or removed (outside the doctor's hours).
alter table availability_slots add column release_to text
    check (release_to in ('blocked', 'holiday', 'removed'));
alter table availability_slots add constraint availability_slots_release_check
    check (release_to is null or status = 'booked');
