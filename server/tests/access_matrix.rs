//! The access matrix: every registered server function, called without a session and as
//! patient A, patient B, doctor D1, doctor D2 and an admin, on objects owned by each.
//! The expected status of every cell is written down in full; a server function missing
//! from the table fails the test, so new endpoints must join it.

mod common;

use std::collections::BTreeSet;

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    PatientA,
    PatientB,
    DoctorD1,
    DoctorD2,
    Admin,
}

const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::PatientA,
    Caller::PatientB,
    Caller::DoctorD1,
    Caller::DoctorD2,
    Caller::Admin,
];

/// Expected HTTP status per caller, in the order of [`CALLERS`]:
/// anonymous, patient A, patient B, doctor D1, doctor D2, admin.
const MATRIX: &[(&str, [u16; 6])] = &[
    // Public.
    ("clinic_directory", [200, 200, 200, 200, 200, 200]),
    ("clinic_profile", [200, 200, 200, 200, 200, 200]),
    ("current_user", [200, 200, 200, 200, 200, 200]),
    ("log_in", [200, 200, 200, 200, 200, 200]),
    ("sign_up", [200, 200, 200, 200, 200, 200]),
    // Forgot password: the same answer for everyone; a made-up token is refused (400).
    ("request_password_reset", [200, 200, 200, 200, 200, 200]),
    ("reset_password", [400, 400, 400, 400, 400, 400]),
    // Sign-up confirmation: the same answer for everyone; a made-up link is refused.
    ("resend_verification", [200, 200, 200, 200, 200, 200]),
    ("verify_email", [400, 400, 400, 400, 400, 400]),
    // Anyone signed in, on their own account only (a wrong current password: 400).
    ("change_password", [401, 400, 400, 400, 400, 400]),
    // Two-step sign-in. The code step needs a password first (none given here: 400).
    ("sign_in_code", [400, 400, 400, 400, 400, 400]),
    ("two_step_status", [401, 200, 200, 200, 200, 200]),
    ("fresh_recovery_codes", [401, 200, 200, 200, 200, 200]),
    // On for doctors and staff (required), not yet for the patients: nothing to renew or
    // turn off for them; doctors and staff may never turn it off, nor start it again.
    ("new_recovery_codes", [401, 400, 400, 200, 200, 200]),
    ("turn_off_two_step", [401, 400, 400, 400, 400, 400]),
    ("begin_two_step", [401, 200, 200, 400, 400, 400]),
    // A wrong first code (already on for doctors and staff).
    ("confirm_two_step", [401, 400, 400, 400, 400, 400]),
    // Staff only; patient B has none to reset.
    ("reset_two_step", [401, 403, 403, 403, 403, 400]),
    // Setting it up right after the password (doctors and staff without it): only for a
    // browser in that step, which none of these is (`two_step.rs` covers that browser).
    ("enrolment_status", [401, 401, 401, 401, 401, 401]),
    // The waitlist: patients only, their own places (none with this id: not found).
    ("join_waitlist", [401, 200, 200, 403, 403, 403]),
    ("leave_waitlist", [401, 404, 404, 403, 403, 403]),
    ("my_waitlist", [401, 200, 200, 403, 403, 403]),
    // An offer's one-action link: the token is the credential, whoever calls; a made-up
    // one is refused alike (400) — `waitlist.rs` covers real ones.
    ("waitlist_offer", [400, 400, 400, 400, 400, 400]),
    ("take_waitlist_offer", [400, 400, 400, 400, 400, 400]),
    ("leave_waitlist_by_offer", [400, 400, 400, 400, 400, 400]),
    // A visit's links: the token is the only credential (a made-up one here, answered
    // alike for everyone).
    ("visit_link", [400, 400, 400, 400, 400, 400]),
    ("confirm_visit_by_link", [400, 400, 400, 400, 400, 400]),
    ("cancel_visit_by_link", [400, 400, 400, 400, 400, 400]),
    // Passkeys: this server is reached by a numeric address, where passkeys cannot work
    // and say so (400) once the caller may ask (`passkeys.rs` covers them at a name).
    // Nobody has a passkey here to remove: "not found" for everyone signed in.
    ("passkey_add_options", [401, 400, 400, 400, 400, 400]),
    ("add_passkey", [401, 400, 400, 400, 400, 400]),
    ("remove_passkey", [401, 404, 404, 404, 404, 404]),
    ("passkey_sign_in_options", [400, 400, 400, 400, 400, 400]),
    ("sign_in_with_passkey", [400, 400, 400, 400, 400, 400]),
    // No password given first: the second step has expired (400).
    (
        "passkey_second_step_options",
        [400, 400, 400, 400, 400, 400],
    ),
    ("second_step_with_passkey", [400, 400, 400, 400, 400, 400]),
    ("begin_enrolment", [401, 401, 401, 401, 401, 401]),
    ("confirm_enrolment", [401, 401, 401, 401, 401, 401]),
    // Staff only.
    ("list_accounts", [401, 403, 403, 403, 403, 200]),
    ("create_account", [401, 403, 403, 403, 403, 200]),
    ("set_account_disabled", [401, 403, 403, 403, 403, 200]),
    // Patients only, their own.
    ("my_appointments", [401, 200, 200, 403, 403, 403]),
    // Patient A's visit with doctor D1: A, D1 and staff; nobody else learns it exists.
    ("appointment_detail", [401, 200, 404, 200, 404, 200]),
    // The same visit with contact and history: its doctor and staff only.
    ("visit_record", [401, 403, 403, 200, 404, 200]),
    // Browsing open times is public.
    ("finder_week", [200, 200, 200, 200, 200, 200]),
    // Choosing a doctor: public (a signed-in patient also gets their usual doctor).
    ("doctor_choice", [200, 200, 200, 200, 200, 200]),
    // Patient A's hold: only A sees or confirms it (B is told it cannot be found).
    ("get_hold", [401, 200, 409, 403, 403, 403]),
    ("confirm_booking", [401, 200, 409, 403, 403, 403]),
    // Holding a time and moving or cancelling a visit: patients, their own visits only.
    ("hold_time", [401, 200, 200, 403, 403, 403]),
    ("reschedule_appointment", [401, 200, 404, 403, 403, 403]),
    ("move_preview", [401, 200, 404, 403, 403, 403]),
    ("confirm_my_visit", [401, 200, 404, 403, 403, 403]),
    ("cancel_appointment", [401, 200, 404, 403, 403, 403]),
    // Letting go of a hold: patients; someone else's hold is left alone (200, no change).
    ("release_hold", [401, 200, 200, 403, 403, 403]),
    ("my_profile", [401, 200, 200, 403, 403, 403]),
    ("update_profile", [401, 200, 200, 403, 403, 403]),
    // The doctors' portal: doctors only, each on their own calendar. Marking the outcome
    // of a visit that has not started (or is not theirs) is refused alike (400).
    ("doctor_week", [401, 403, 403, 200, 200, 403]),
    ("preview_block", [401, 403, 403, 200, 200, 403]),
    ("block_time", [401, 403, 403, 200, 200, 403]),
    ("unblock_time", [401, 403, 403, 200, 200, 403]),
    ("set_visit_outcome", [401, 403, 403, 400, 400, 403]),
    ("calendar_feed", [401, 403, 403, 200, 200, 403]),
    ("revoke_calendar_feed", [401, 403, 403, 200, 200, 403]),
    ("weekly_hours", [401, 403, 403, 200, 200, 403]),
    ("preview_hours", [401, 403, 403, 200, 200, 403]),
    ("save_hours", [401, 403, 403, 200, 200, 403]),
    // An invitation link: a made-up token is refused alike (400).
    ("accept_invitation", [400, 400, 400, 400, 400, 400]),
    // The staff portal: staff only. Patient A has a password: nothing to invite to (400).
    ("find_patients", [401, 403, 403, 403, 403, 200]),
    ("open_patient", [401, 403, 403, 403, 403, 200]),
    ("record_patient", [401, 403, 403, 403, 403, 200]),
    ("invite_patient", [401, 403, 403, 403, 403, 400]),
    // A's visit was cancelled by A above: staff moving it is refused by the rules (409),
    // cancelling it again changes nothing (200).
    ("search_appointments", [401, 403, 403, 403, 403, 200]),
    ("staff_open_times", [401, 403, 403, 403, 403, 200]),
    ("staff_book", [401, 403, 403, 403, 403, 200]),
    ("staff_reschedule", [401, 403, 403, 403, 403, 409]),
    ("staff_cancel", [401, 403, 403, 403, 403, 200]),
    // Confirming a cancelled visit is refused by the rules.
    ("staff_confirm_visit", [401, 403, 403, 403, 403, 409]),
    ("appointment_messages", [401, 403, 403, 403, 403, 200]),
    ("list_holidays", [401, 403, 403, 403, 403, 200]),
    ("preview_holiday", [401, 403, 403, 403, 403, 200]),
    ("add_holiday", [401, 403, 403, 403, 403, 200]),
    ("remove_holiday", [401, 403, 403, 403, 403, 200]),
    ("attention_queue", [401, 403, 403, 403, 403, 200]),
    // No such item (404): only that staff get this far.
    ("resolve_attention", [401, 403, 403, 403, 403, 404]),
    ("list_doctors", [401, 403, 403, 403, 403, 200]),
    ("update_doctor", [401, 403, 403, 403, 403, 200]),
    ("doctor_hours_for", [401, 403, 403, 403, 403, 200]),
    ("preview_doctor_hours", [401, 403, 403, 403, 403, 200]),
    ("save_doctor_hours", [401, 403, 403, 403, 403, 200]),
    ("preview_doctor_leave", [401, 403, 403, 403, 403, 200]),
    ("doctor_leave", [401, 403, 403, 403, 403, 200]),
    ("preview_deactivation", [401, 403, 403, 403, 403, 200]),
    // Reactivating an active doctor: changes nothing.
    ("set_doctor_active", [401, 403, 403, 403, 403, 200]),
    ("get_clinic_settings", [401, 403, 403, 403, 403, 200]),
    // The stored settings again: nothing changes.
    ("update_settings", [401, 403, 403, 403, 403, 200]),
    ("get_message_settings", [401, 403, 403, 403, 403, 200]),
    ("update_message_settings", [401, 403, 403, 403, 403, 200]),
    ("outbox", [401, 403, 403, 403, 403, 200]),
    ("retry_notifications", [401, 403, 403, 403, 403, 200]),
    ("audit_log", [401, 403, 403, 403, 403, 200]),
    ("verify_audit_chain", [401, 403, 403, 403, 403, 200]),
    ("staff_today", [401, 403, 403, 403, 403, 200]),
    // The waitlist, staff side: patient B added once per cell set (a second add would be
    // "already on it"), nobody with this entry id to take off, the default settings again.
    ("staff_waitlist", [401, 403, 403, 403, 403, 200]),
    ("staff_join_waitlist", [401, 403, 403, 403, 403, 200]),
    ("staff_leave_waitlist", [401, 403, 403, 403, 403, 404]),
    ("update_waitlist_settings", [401, 403, 403, 403, 403, 200]),
    // Visit types, staff side: a preview changes nothing; restoring an active type neither.
    ("staff_visit_types", [401, 403, 403, 403, 403, 200]),
    ("staff_bookable_types", [401, 403, 403, 403, 403, 200]),
    ("save_visit_type", [401, 403, 403, 403, 403, 200]),
    ("set_visit_type_active", [401, 403, 403, 403, 403, 200]),
    // Family accounts: patients only, their own links. Patient A and B each add a child;
    // nobody here looks after patient A or cares for B, so the other rows are not found.
    ("my_family", [401, 200, 200, 403, 403, 403]),
    ("booking_for", [401, 200, 200, 403, 403, 403]),
    ("add_person", [401, 200, 200, 403, 403, 403]),
    ("remove_person", [401, 404, 404, 403, 403, 403]),
    ("invite_person", [401, 404, 404, 403, 403, 403]),
    ("revoke_carer", [401, 404, 404, 403, 403, 403]),
    ("regrant_carer", [401, 404, 404, 403, 403, 403]),
    // Family links, staff side: staff link A as B's carer, then unlink them; A has a
    // login already (nothing to invite to: 400).
    ("staff_family", [401, 403, 403, 403, 403, 200]),
    ("staff_add_person", [401, 403, 403, 403, 403, 200]),
    ("staff_link_person", [401, 403, 403, 403, 403, 200]),
    ("staff_unlink_person", [401, 403, 403, 403, 403, 200]),
    ("staff_invite_person", [401, 403, 403, 403, 403, 400]),
    // Last: it ends the caller's session.
    ("log_out", [200, 200, 200, 200, 200, 200]),
];

struct World {
    base: String,
    patient_a: Person,
    patient_b: Person,
    doctor_d1: Person,
    doctor_d2: Person,
    admin: Person,
    appointment_a_d1: i64,
    hold_of_a: uuid::Uuid,
    /// Open start times, distinct: for hold_time and for moving A's visit.
    open_for_hold: String,
    open_for_move: String,
    /// For staff booking on patient B's behalf.
    open_for_staff: String,
}

impl World {
    fn person(&self, caller: Caller) -> Option<&Person> {
        match caller {
            Caller::Anonymous => None,
            Caller::PatientA => Some(&self.patient_a),
            Caller::PatientB => Some(&self.patient_b),
            Caller::DoctorD1 => Some(&self.doctor_d1),
            Caller::DoctorD2 => Some(&self.doctor_d2),
            Caller::Admin => Some(&self.admin),
        }
    }

    /// Arguments for one cell; `n` keeps created emails unique.
    fn arguments(&self, endpoint: &str, caller: Caller, n: usize) -> Vec<(String, String)> {
        let own_email = self.person(caller).unwrap_or(&self.patient_a).email.clone();
        let pairs: Vec<(&str, String)> = match endpoint {
            "log_in" => vec![("email", own_email), ("password", PASSWORD.into())],
            "sign_up" => vec![
                ("first_name", "New".into()),
                ("last_name", "Person".into()),
                ("email", format!("new{n}@people.test")),
                ("password", "a long enough passphrase".into()),
            ],
            "request_password_reset" | "resend_verification" => vec![("email", own_email)],
            "sign_in_code" | "confirm_two_step" | "turn_off_two_step" | "confirm_enrolment" => {
                vec![("code", "000000".into())]
            }
            "add_passkey" => vec![("name", "Laptop".into()), ("credential", "{}".into())],
            "remove_passkey" => vec![("passkey_id", "1".into())],
            "join_waitlist" => vec![("appointment_type_id", "1".into())],
            "leave_waitlist" => vec![("waitlist_entry_id", "999999".into())],
            "sign_in_with_passkey" | "second_step_with_passkey" => {
                vec![("credential", "{}".into())]
            }
            "reset_two_step" => vec![
                ("user_id", self.patient_b.user_id.to_string()),
                ("reason", "Lost phone".into()),
            ],
            "verify_email"
            | "waitlist_offer"
            | "take_waitlist_offer"
            | "leave_waitlist_by_offer"
            | "confirm_visit_by_link"
            | "cancel_visit_by_link" => vec![("token", "A".repeat(43))],
            "visit_link" => vec![("purpose", "confirm".into()), ("token", "A".repeat(43))],
            "reset_password" => vec![
                ("token", "A".repeat(43)),
                ("new_password", "another long passphrase".into()),
            ],
            "change_password" => vec![
                ("current_password", "not my password".into()),
                ("new_password", "another long passphrase".into()),
            ],
            "create_account" => vec![
                ("role", "doctor".into()),
                ("first_name", "New".into()),
                ("last_name", "Doctor".into()),
                ("email", format!("doctor{n}@people.test")),
                ("password", "a long enough passphrase".into()),
            ],
            "set_account_disabled" => vec![
                ("user_id", self.patient_b.user_id.to_string()),
                ("disabled", "false".into()),
            ],
            "appointment_detail" | "cancel_appointment" | "visit_record" | "confirm_my_visit" => {
                vec![("appointment_id", self.appointment_a_d1.to_string())]
            }
            "get_hold" => vec![("token", self.hold_of_a.to_string())],
            "release_hold" => vec![("hold", self.hold_of_a.to_string())],
            "confirm_booking" => vec![
                ("hold", self.hold_of_a.to_string()),
                ("idempotency_key", uuid::Uuid::new_v4().to_string()),
            ],
            "hold_time" => vec![
                ("start", self.open_for_hold.clone()),
                ("appointment_type_id", "1".into()),
            ],
            "reschedule_appointment" | "move_preview" => vec![
                ("appointment_id", self.appointment_a_d1.to_string()),
                ("start", self.open_for_move.clone()),
            ],
            // Far enough ahead not to touch the times the other rows use.
            "preview_block" | "block_time" | "unblock_time" => vec![
                (
                    "from_date",
                    (chrono::Utc::now() + chrono::Duration::days(40))
                        .date_naive()
                        .to_string(),
                ),
                ("from_time", "10:00".into()),
                ("to_time", "11:00".into()),
            ],
            "set_visit_outcome" => vec![
                ("appointment_id", self.appointment_a_d1.to_string()),
                ("outcome", "completed".into()),
            ],
            // The hours the doctors already have, from 50 days ahead: nothing moves.
            "preview_hours" | "save_hours" => hours_arguments(50),
            "update_profile" => vec![
                ("first_name", "Renamed".into()),
                ("last_name", "Person".into()),
            ],
            "accept_invitation" => vec![
                ("token", "A".repeat(43)),
                ("new_password", "another long passphrase".into()),
            ],
            "find_patients" => vec![("query", "Patient".into())],
            "staff_open_times" => vec![
                (
                    "date",
                    (chrono::Utc::now() + chrono::Duration::days(2))
                        .date_naive()
                        .to_string(),
                ),
                ("appointment_type_id", "1".into()),
            ],
            "staff_join_waitlist" => vec![
                ("patient_id", self.patient_b.role_id.unwrap().to_string()),
                ("appointment_type_id", "2".into()),
            ],
            "staff_leave_waitlist" => vec![("waitlist_entry_id", "999999".into())],
            "update_waitlist_settings" => waitlist_settings_arguments(),
            "staff_book" => vec![
                ("patient_id", self.patient_b.role_id.unwrap().to_string()),
                ("start", self.open_for_staff.clone()),
                ("appointment_type_id", "1".into()),
            ],
            "staff_reschedule" => vec![
                ("appointment_id", self.appointment_a_d1.to_string()),
                ("start", self.open_for_staff.clone()),
            ],
            "preview_holiday" | "add_holiday" | "remove_holiday" => vec![
                (
                    "date",
                    (chrono::Utc::now() + chrono::Duration::days(45))
                        .date_naive()
                        .to_string(),
                ),
                ("name", "Matrix day".into()),
            ],
            "resolve_attention" => vec![
                ("item_id", "999999".into()),
                ("action", "keep".into()),
                ("note", "checked".into()),
            ],
            "update_doctor" => vec![
                ("doctor_id", self.doctor_d2.role_id.unwrap().to_string()),
                ("first_name", "Doctor".into()),
                ("last_name", "Renamed".into()),
                ("specialty", "Family medicine".into()),
                ("languages", "English, Spanish".into()),
                ("introduction", "Sees families.".into()),
            ],
            "doctor_choice" => vec![("appointment_type_id", "1".into())],
            "save_visit_type" => vec![
                ("appointment_type_id", "2".into()),
                ("name", "Long".into()),
                ("slot_count", "2".into()),
                ("online", "on".into()),
                ("all_doctors", "on".into()),
                ("intent", "preview".into()),
            ],
            "set_visit_type_active" => vec![
                ("appointment_type_id", "2".into()),
                ("active", "true".into()),
            ],
            "doctor_hours_for" | "preview_deactivation" => {
                vec![("doctor_id", self.doctor_d2.role_id.unwrap().to_string())]
            }
            "set_doctor_active" => vec![
                ("doctor_id", self.doctor_d2.role_id.unwrap().to_string()),
                ("active", "true".into()),
            ],
            "preview_doctor_hours" | "save_doctor_hours" => {
                let mut pairs = vec![("doctor_id", self.doctor_d2.role_id.unwrap().to_string())];
                pairs.extend(hours_arguments(50));
                pairs
            }
            "preview_doctor_leave" | "doctor_leave" => vec![
                ("doctor_id", self.doctor_d2.role_id.unwrap().to_string()),
                (
                    "from_date",
                    (chrono::Utc::now() + chrono::Duration::days(41))
                        .date_naive()
                        .to_string(),
                ),
                ("from_time", "10:00".into()),
                ("to_time", "11:00".into()),
            ],
            "update_settings" => settings_arguments(),
            "update_message_settings" => message_settings_arguments(),
            "staff_cancel" | "appointment_messages" | "staff_confirm_visit" => {
                vec![("appointment_id", self.appointment_a_d1.to_string())]
            }
            "add_person" | "staff_add_person" => vec![
                (
                    "carer_patient_id",
                    self.patient_b.role_id.unwrap().to_string(),
                ),
                ("first_name", "Child".into()),
                ("last_name", format!("Number{n}")),
                ("date_of_birth", "2019-04-23".into()),
                ("relationship", "Parent".into()),
                ("reason", "Asked at the desk".into()),
            ],
            "remove_person" | "invite_person" | "staff_invite_person" => {
                vec![("patient_id", self.patient_a.role_id.unwrap().to_string())]
            }
            "revoke_carer" | "regrant_carer" => {
                vec![(
                    "carer_patient_id",
                    self.patient_b.role_id.unwrap().to_string(),
                )]
            }
            "staff_family" => vec![("patient_id", self.patient_a.role_id.unwrap().to_string())],
            "staff_link_person" | "staff_unlink_person" => vec![
                (
                    "carer_patient_id",
                    self.patient_a.role_id.unwrap().to_string(),
                ),
                ("patient_id", self.patient_b.role_id.unwrap().to_string()),
                ("relationship", "Daughter".into()),
                ("reason", "Asked at the desk, ID checked".into()),
            ],
            "open_patient" | "invite_patient" => {
                vec![("patient_id", self.patient_a.role_id.unwrap().to_string())]
            }
            "record_patient" => vec![
                ("first_name", "Called".into()),
                ("last_name", "Byphone".into()),
                ("email", "".into()),
                ("phone", format!("+1 555 010 {:04}", n)),
            ],
            _ => vec![],
        };
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

async fn world(pool: &PgPool) -> World {
    let patient_a = create_person(pool, Role::Patient, "PatientA").await;
    let patient_b = create_person(pool, Role::Patient, "PatientB").await;
    let doctor_d1 = create_person(pool, Role::Doctor, "DoctorD1").await;
    let doctor_d2 = create_person(pool, Role::Doctor, "DoctorD2").await;
    let admin = create_person(pool, Role::Admin, "Admin").await;
    let appointment_a_d1: i64 = sqlx::query_scalar(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                   reason, booked_by_user_id, booked_by_role, idempotency_key)
         values ($1, $2, 1, now() + interval '3 days', now() + interval '3 days 30 minutes',
                 'private reason', $3, 'patient', gen_random_uuid())
         returning appointment_id",
    )
    .bind(patient_a.role_id)
    .bind(doctor_d1.role_id)
    .bind(patient_a.user_id)
    .fetch_one(pool)
    .await
    .unwrap();
    // Both doctors work every day, so there are open times to hold and to move to.
    for doctor in [&doctor_d1, &doctor_d2] {
        sqlx::query(
            "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
             select $1, d, '09:00', '17:00', current_date - 1 from generate_series(1, 7) d",
        )
        .bind(doctor.role_id)
        .execute(pool)
        .await
        .unwrap();
    }
    let policy = app::db::settings::clinic_policy(pool).await.unwrap();
    app::services::schedule::materialize_slots(pool, &policy, chrono::Utc::now())
        .await
        .unwrap();
    let open: Vec<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "select distinct start_time from availability_slots
         where status = 'free' and start_time > now() + interval '26 hours' order by start_time limit 4",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let by_a = app::services::booking::ActingUser {
        user_id: patient_a.user_id,
        role: app::services::booking::ActingRole::Patient {
            patient_id: patient_a.role_id.unwrap(),
        },
        request_id: None,
    };
    let hold_of_a = app::services::booking::hold(
        pool,
        &policy,
        &by_a,
        patient_a.role_id.unwrap(),
        open[0],
        1,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .token;
    let iso =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    World {
        base: spawn_app(pool.clone()).await,
        patient_a,
        patient_b,
        doctor_d1,
        doctor_d2,
        admin,
        appointment_a_d1,
        hold_of_a,
        open_for_hold: iso(open[1]),
        open_for_move: iso(open[2]),
        open_for_staff: iso(open[3]),
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn every_server_function_enforces_the_access_matrix(pool: PgPool) {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let tabled: BTreeSet<String> = MATRIX.iter().map(|(e, _)| (*e).to_owned()).collect();
    assert_eq!(
        registered, tabled,
        "every registered server function must have a row in MATRIX (and every row a function)"
    );

    let world = world(&pool).await;
    let mut mismatches = Vec::new();
    let mut n = 0;
    for (endpoint, expected) in MATRIX {
        for (caller, want) in CALLERS.iter().zip(expected) {
            n += 1;
            let browser = client();
            if let Some(person) = world.person(*caller) {
                log_in(&browser, &world.base, &person.email).await;
            }
            let args = world.arguments(endpoint, *caller, n);
            let response = browser
                .post(format!("{}/api/{endpoint}", world.base))
                .form(&args)
                .send()
                .await
                .unwrap();
            let got = response.status().as_u16();
            if got != *want {
                let body = response.text().await.unwrap_or_default();
                mismatches.push(format!(
                    "{endpoint} as {caller:?}: expected {want}, got {got} ({body})"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "access matrix violations:\n{}",
        mismatches.join("\n")
    );

    // The doctor's and the admin's reads of A's visit (detail, then record) were audited;
    // A's own read was not.
    let reads: Vec<(String, Option<i64>)> = sqlx::query_as(
        "select actor_role, patient_id from audit_log where action = 'appointment.read' order by chain_seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        reads,
        [
            ("doctor".to_owned(), world.patient_a.role_id),
            ("admin".to_owned(), world.patient_a.role_id),
            ("doctor".to_owned(), world.patient_a.role_id),
            ("admin".to_owned(), world.patient_a.role_id)
        ]
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn patients_never_see_private_fields_of_others_and_only_their_own_list(pool: PgPool) {
    let world = world(&pool).await;
    let a = client();
    log_in(&a, &world.base, &world.patient_a.email).await;
    let mine: serde_json::Value = call(&a, &world.base, "my_appointments", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["reason"], "private reason");
    assert_eq!(mine[0]["patient_name"], serde_json::Value::Null);

    let b = client();
    log_in(&b, &world.base, &world.patient_b.email).await;
    let theirs: serde_json::Value = call(&b, &world.base, "my_appointments", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, serde_json::json!([]));
}
