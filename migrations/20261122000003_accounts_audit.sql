-- Accounts, sign-in throttling and the append-only, hash-chained audit log.

-- Sessions started before this instant are dead (password change, account disabled).
alter table users add column sessions_valid_after timestamptz not null default now();

-- Every sign-in attempt, for throttling per account (email as typed, lowercased, so unknown
-- emails are throttled too) and per client address.
create table login_attempts (
    login_attempt_id bigint generated always as identity primary key,
    email            text not null,
    client_addr      inet,
    succeeded        boolean not null,
    attempted_at     timestamptz not null default now()
);
create index login_attempts_email_idx on login_attempts (email, attempted_at desc);
create index login_attempts_addr_idx on login_attempts (client_addr, attempted_at desc);

-- The audit log: who (user and role) did what (action, outcome) to whose data (patient)
-- and which object (target), when, in which request. Rows carry a SHA-256 chained to the
-- previous row (`chain_seq` order), so any edit made past the triggers below is detectable
-- by `server verify-audit`.
create table audit_log (
    audit_id      bigint generated always as identity primary key,
    chain_seq     bigint not null unique,
    occurred_at   timestamptz not null default now(),
    actor_user_id bigint references users (user_id),
    actor_role    text not null check (actor_role in ('anonymous', 'patient', 'doctor', 'admin', 'system')),
    action        text not null check (length(action) between 1 and 100),
    patient_id    bigint references patients (patient_id),
    target        text check (length(target) <= 200),
    outcome       text not null check (outcome in ('success', 'failure', 'denied')),
    request_id    text check (length(request_id) <= 100),
    prev_hash     bytea not null,
    row_hash      bytea not null
);
create index audit_log_patient_idx on audit_log (patient_id, occurred_at desc) where patient_id is not null;
create index audit_log_actor_idx on audit_log (actor_user_id, occurred_at desc);

-- The chain's head, one row; updating it serialises appends (they are rare and short).
create table audit_chain_head (
    audit_chain_head_id boolean primary key default true check (audit_chain_head_id),
    last_seq            bigint not null,
    last_hash           bytea not null
);
insert into audit_chain_head (last_seq, last_hash) values (0, sha256(''::bytea));

-- The hash of one row; used by the insert trigger and by the verifier alike. Times are
-- rendered as UTC epoch microseconds so session settings cannot change the text.
create function audit_row_hash(
    p_prev_hash bytea, p_chain_seq bigint, p_occurred_at timestamptz, p_actor_user_id bigint,
    p_actor_role text, p_action text, p_patient_id bigint, p_target text, p_outcome text,
    p_request_id text
) returns bytea language sql immutable as $$
    select sha256(convert_to(concat_ws('|',
        encode(p_prev_hash, 'hex'), p_chain_seq::text,
        (extract(epoch from p_occurred_at) * 1000000)::bigint::text,
        coalesce(p_actor_user_id::text, '-'), p_actor_role, p_action,
        coalesce(p_patient_id::text, '-'), coalesce(p_target, '-'), p_outcome,
        coalesce(p_request_id, '-')), 'UTF8'))
$$;

create function audit_log_chain() returns trigger language plpgsql as $$
declare
    head audit_chain_head%rowtype;
begin
    select * into head from audit_chain_head for update;
    new.chain_seq := head.last_seq + 1;
    new.prev_hash := head.last_hash;
    new.row_hash := audit_row_hash(new.prev_hash, new.chain_seq, new.occurred_at, new.actor_user_id,
        new.actor_role, new.action, new.patient_id, new.target, new.outcome, new.request_id);
    update audit_chain_head set last_seq = new.chain_seq, last_hash = new.row_hash;
    return new;
end
$$;

create trigger audit_log_chain before insert on audit_log
    for each row execute function audit_log_chain();

-- Append-only: the application can never change or remove history.
create function audit_log_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;

create trigger audit_log_no_update before update or delete on audit_log
    for each row execute function audit_log_refuse_change();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_refuse_change();
