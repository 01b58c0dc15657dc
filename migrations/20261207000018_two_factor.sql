-- Two-step sign-in (TOTP, RFC 6238) with recovery codes.
--
-- A person's authenticator secret is sealed with AES-256-GCM under a key from the
-- server's configuration (CLINIC_MFA_KEY), never stored in the clear: a copy of the
-- database alone yields no working secret. `confirmed_at` is null while enrolment waits
-- for the first code. `last_step` is the time step of the last code accepted: a code
-- works once (a later step only), so an overheard code cannot be replayed.
create table totp_factors (
    user_id       bigint primary key references users (user_id),
    secret_sealed bytea not null check (length(secret_sealed) between 28 and 128),
    created_at    timestamptz not null,
    confirmed_at  timestamptz,
    last_step     bigint
);

-- Ten one-time codes for when the phone is lost. Only their SHA-256 is kept (each has
-- ~50 random bits and works once, so a fast hash is enough, as for one-time links).
create table recovery_codes (
    recovery_code_id bigint generated always as identity primary key,
    user_id          bigint not null references users (user_id),
    code_hash        bytea not null check (length(code_hash) = 32),
    created_at       timestamptz not null,
    used_at          timestamptz,
    constraint recovery_codes_user_hash_key unique (user_id, code_hash)
);

-- Wrong codes, for throttling like passwords (per account, in a sliding window).
create table second_step_attempts (
    second_step_attempt_id bigint generated always as identity primary key,
    user_id                bigint not null references users (user_id),
    succeeded              boolean not null,
    attempted_at           timestamptz not null
);
create index second_step_attempts_user_idx on second_step_attempts (user_id, attempted_at desc);

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt', 'account_invitation',
    'two_step_on', 'two_step_off'));
