-- One-time tokens for links sent by email (password reset; email verification and
-- invitations use the same mechanism). Only a SHA-256 of each token is stored: a leaked
-- table gives no working link.
create table one_time_tokens (
    one_time_token_id bigint generated always as identity primary key,
    purpose           text not null check (purpose in ('password_reset', 'email_verification', 'invitation')),
    user_id           bigint not null references users (user_id),
    token_hash        bytea not null unique check (length(token_hash) = 32),
    created_at        timestamptz not null,
    expires_at        timestamptz not null,
    used_at           timestamptz,
    constraint one_time_tokens_expiry_check check (expires_at > created_at)
);
create index one_time_tokens_user_idx on one_time_tokens (user_id, purpose, created_at desc);

-- A message carrying a one-time link keeps the token only until it is sent (or given up):
-- the worker erases it in the same update that records the outcome.
alter table notifications add column secret text check (length(secret) <= 200);
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset'));
alter table notifications add constraint notifications_secret_pending_check
    check (secret is null or status in ('pending', 'sending'));
