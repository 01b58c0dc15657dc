-- Two-way reminders (issue 26): a visit its patient confirmed, one-action links in
-- confirmations and reminders, answers by SMS, an optional second reminder.

-- Confirmed by the patient ("I'll be there"): when, and how (a message's link, a text,
-- their visit's page, or staff on the phone). Recorded once; also a history event.
alter table appointments
    add column confirmed_at  timestamptz,
    add column confirmed_via text check (confirmed_via in ('link', 'sms', 'web', 'staff')),
    add constraint appointments_confirmed_check check ((confirmed_at is null) = (confirmed_via is null));
alter table appointment_events drop constraint appointment_events_kind_check;
alter table appointment_events add constraint appointment_events_kind_check
    check (kind in ('booked', 'rescheduled', 'cancelled', 'reassigned', 'completed', 'no_show',
                    'confirmed'));

-- The three links of a confirmation or reminder: each a single-purpose token for one
-- visit, stored as its SHA-256, good until the visit starts (as it was when the link was
-- made: `issued_start`; a visit moved since is told apart by it).
create table visit_links (
    visit_link_id  bigint generated always as identity primary key,
    appointment_id bigint not null references appointments (appointment_id),
    purpose        text not null check (purpose in ('confirm', 'cancel', 'move')),
    token_hash     bytea not null unique,
    issued_start   timestamptz not null,
    expires_at     timestamptz not null,
    used_at        timestamptz,
    created_at     timestamptz not null
);
create index visit_links_appointment_idx on visit_links (appointment_id);
create index visit_links_expires_idx on visit_links (expires_at);

-- Texts received from the SMS gateway, by its message id: a repeat is answered once.
-- Only what was done is kept (never the text or the number).
create table sms_inbound (
    gateway_message_id text primary key check (length(gateway_message_id) between 1 and 200),
    received_at        timestamptz not null,
    outcome            text not null check (length(outcome) between 1 and 40)
);
create index sms_inbound_received_idx on sms_inbound (received_at);

-- "Reply X again to cancel": the visit a number asked to cancel, until the second X.
create table sms_cancel_requests (
    phone          text primary key,
    appointment_id bigint not null references appointments (appointment_id),
    asked_at       timestamptz not null
);

-- Answers to a number (the text of an SMS reply), sent through the outbox like every
-- message: a reply has a number and a body instead of a recipient account.
alter table notifications alter column recipient_user_id drop not null;
alter table notifications
    add column to_phone text check (to_phone ~ '^\+[1-9][0-9]{6,14}$'),
    add column body     text check (length(body) between 1 and 640),
    add constraint notifications_recipient_check check (
        (kind = 'sms_reply') = (recipient_user_id is null)
        and (kind = 'sms_reply') = (to_phone is not null and body is not null and channel = 'sms'));
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'appointment_second_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt', 'account_invitation',
    'two_step_on', 'two_step_off', 'passkey_added', 'passkey_removed',
    'waitlist_offer', 'sms_reply'));

-- A second reminder `second_reminder_minutes` before the visit, only to visits not
-- confirmed yet (null: none); numbers typed without a country code are read as numbers of
-- `phone_region` (ISO 3166 code: their stored form is E.164, so a reply finds its patient).
alter table clinic_settings
    add column second_reminder_minutes integer
        check (second_reminder_minutes between 15 and 1440),
    add column phone_region text not null default 'US' check (phone_region ~ '^[A-Z]{2}$');

-- Replies find their patient by the stored (E.164) number.
create index patients_phone_idx on patients (phone) where phone is not null;
