-- Family accounts (issue 28): a patient with an online account (the carer) books and
-- manages the visits of people they look after. Each such person is a patient record of
-- their own — usually without a login — linked to the carer. Every booking rule stays per
-- person (patient_id): the active limit, appointments_patient_no_overlap, one hold.

-- A dependant's date of birth (patients who signed up themselves may have none).
alter table patients add column date_of_birth date
    check (date_of_birth is null or date_of_birth >= date '1890-01-01');

-- Who may act for whom. A link is never deleted: it ends (the carer removed the person,
-- staff unlinked them, the person revoked it, or the person's own first login ended it),
-- so "who could see this person's visits when" stays answerable. At most one live link per
-- pair; a carer is never their own dependant.
create table patient_carers (
    link_id           bigint generated always as identity primary key,
    carer_patient_id  bigint not null references patients (patient_id),
    patient_id        bigint not null references patients (patient_id),
    relationship      text not null check (length(btrim(relationship)) between 1 and 60),
    linked_at         timestamptz not null,
    linked_by_user_id bigint not null references users (user_id),
    ended_at          timestamptz,
    ended_by_user_id  bigint references users (user_id),
    ended_reason      text check (ended_reason in ('removed', 'unlinked', 'revoked', 'own_login')),
    constraint patient_carers_self_check check (carer_patient_id <> patient_id),
    constraint patient_carers_ended_check check ((ended_at is null) = (ended_reason is null))
);
create unique index patient_carers_live_key on patient_carers (carer_patient_id, patient_id)
    where ended_at is null;
create index patient_carers_patient_idx on patient_carers (patient_id) where ended_at is null;

-- Whom a message about a patient's visit goes to: the patient's own account (a dependant
-- has one only when an email address was given for them), and every carer linked now.
-- `is_self` keeps the derived message ids of the patient's own reminders as they were.
create view patient_recipients as
    select p.patient_id, p.user_id, p.phone, p.sms_opt_in, true as is_self
      from patients p
     where p.user_id is not null
    union all
    select l.patient_id, c.user_id, c.phone, c.sms_opt_in, false as is_self
      from patient_carers l
      join patients c on c.patient_id = l.carer_patient_id
     where l.ended_at is null and c.user_id is not null;
