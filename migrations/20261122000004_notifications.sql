-- Notifications: a transactional outbox, written in the same transaction as the change it
-- announces; a worker delivers it (at least once) and the stable message id lets the
-- receiving side drop a repeat. Plus a record of background job runs.

-- Grows with every change of an appointment, so calendar apps replace the event (.ics SEQUENCE).
alter table appointments add column ics_sequence integer not null default 0 check (ics_sequence >= 0);

create table notifications (
    notification_id bigint generated always as identity primary key,
    -- Stable per message: the email's Message-ID and the SMS webhook's idempotency key.
    message_id      uuid not null unique,
    kind            text not null check (kind in (
                        'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
                        'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
                        'account_welcome', 'password_changed')),
    channel         text not null check (channel in ('email', 'sms')),
    recipient_user_id bigint not null references users (user_id),
    appointment_id  bigint references appointments (appointment_id),
    -- pending → sending (claimed) → sent | dead; superseded when a later change replaced it.
    status          text not null default 'pending'
                    check (status in ('pending', 'sending', 'sent', 'dead', 'superseded')),
    attempts        integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz not null,
    claimed_until   timestamptz,
    last_error      text check (length(last_error) <= 1000),
    sent_at         timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint notifications_sending_check check ((status = 'sending') = (claimed_until is not null)),
    constraint notifications_sent_check check ((status = 'sent') = (sent_at is not null))
);
-- The worker's claim query.
create index notifications_due_idx on notifications (next_attempt_at) where status in ('pending', 'sending');
-- Debounce finds the pending change message of an appointment.
create index notifications_appointment_idx on notifications (appointment_id, channel) where status = 'pending';
create index notifications_dead_idx on notifications (updated_at desc) where status = 'dead';

create table job_runs (
    job_run_id  bigint generated always as identity primary key,
    job         text not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null,
    duration_ms bigint not null,
    outcome     text not null check (outcome in ('ok', 'failed')),
    detail      text check (length(detail) <= 1000)
);
create index job_runs_job_idx on job_runs (job, started_at desc);
