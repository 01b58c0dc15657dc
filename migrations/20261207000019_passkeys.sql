-- Passkeys (WebAuthn): a second factor after the password, or a sign-in of their own.
--
-- Each account gets a random WebAuthn user handle (not its id: the handle is given to
-- authenticators and comes back with a discoverable sign-in, which then finds the account).
-- A passkey row keeps webauthn-rs's credential record (public key, counter, flags) as
-- JSON; its credential id is unique across all accounts, as the standard requires.
alter table users add column webauthn_handle uuid not null default gen_random_uuid();
alter table users add constraint users_webauthn_handle_key unique (webauthn_handle);

create table passkeys (
    passkey_id    bigint generated always as identity primary key,
    user_id       bigint not null references users (user_id),
    credential_id bytea not null check (length(credential_id) between 16 and 1023),
    credential    jsonb not null,
    name          text not null check (length(name) between 1 and 60),
    created_at    timestamptz not null,
    last_used_at  timestamptz,
    constraint passkeys_credential_id_key unique (credential_id)
);
create index passkeys_user_idx on passkeys (user_id);

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt', 'account_invitation',
    'two_step_on', 'two_step_off', 'passkey_added', 'passkey_removed'));
