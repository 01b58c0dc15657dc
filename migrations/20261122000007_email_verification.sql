-- A patient who signs up confirms their address with a one-time link before they can
-- sign in and book. Accounts that exist already, and accounts staff create, are verified.
alter table users add column email_verified_at timestamptz;
update users set email_verified_at = created_at;

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt'));
