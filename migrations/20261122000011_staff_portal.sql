-- The staff portal.
--
-- A patient can exist before they have an online account: staff record someone who
-- called by phone. With an email address they get a user row without a password (it
-- cannot sign in) and may be invited by a one-time link to set one; without an address
-- they have no user row at all, and no automatic messages.
alter table users alter column password_hash drop not null;
alter table patients alter column user_id drop not null;

alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in (
    'appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
    'appointment_cancelled', 'appointment_needs_attention', 'appointment_reminder',
    'account_welcome', 'password_changed', 'password_reset',
    'email_verification', 'signup_attempt', 'account_invitation'));

-- Finding patients by any part of a name, email or phone, and appointments by patient,
-- stays an index scan with tens of thousands of rows.
create extension if not exists pg_trgm;
create index patients_name_trgm_idx on patients
    using gin ((lower(first_name || ' ' || last_name)) gin_trgm_ops);
create index patients_phone_digits_idx on patients
    using gin ((regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')) gin_trgm_ops);
create index users_email_trgm_idx on users using gin (email gin_trgm_ops);
create index appointments_start_idx on appointments (start_time);

-- The audit page filters by action.
create index audit_log_action_idx on audit_log (action, chain_seq);

-- Clinic settings changes are audited with the old and the new value.
alter table audit_log add column detail text check (length(detail) <= 2000);

-- The hash covers `detail` too. Rows without one hash exactly as before, so the chain
-- written before this migration still verifies.
create function audit_row_hash(
    p_prev_hash bytea, p_chain_seq bigint, p_occurred_at timestamptz, p_actor_user_id bigint,
    p_actor_role text, p_action text, p_patient_id bigint, p_target text, p_outcome text,
    p_request_id text, p_detail text
) returns bytea language sql immutable as $$
    select case when p_detail is null then
        audit_row_hash(p_prev_hash, p_chain_seq, p_occurred_at, p_actor_user_id, p_actor_role,
                       p_action, p_patient_id, p_target, p_outcome, p_request_id)
    else sha256(convert_to(concat_ws('|',
        encode(p_prev_hash, 'hex'), p_chain_seq::text,
        (extract(epoch from p_occurred_at) * 1000000)::bigint::text,
        coalesce(p_actor_user_id::text, '-'), p_actor_role, p_action,
        coalesce(p_patient_id::text, '-'), coalesce(p_target, '-'), p_outcome,
        coalesce(p_request_id, '-'), 'detail:' || p_detail), 'UTF8'))
    end
$$;

create or replace function audit_log_chain() returns trigger language plpgsql as $$
declare
    head audit_chain_head%rowtype;
begin
    select * into head from audit_chain_head for update;
    new.chain_seq := head.last_seq + 1;
    new.prev_hash := head.last_hash;
    new.row_hash := audit_row_hash(new.prev_hash, new.chain_seq, new.occurred_at, new.actor_user_id,
        new.actor_role, new.action, new.patient_id, new.target, new.outcome, new.request_id,
        new.detail);
    update audit_chain_head set last_seq = new.chain_seq, last_hash = new.row_hash;
    return new;
end
$$;
