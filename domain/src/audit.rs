//! What the audit log records: one name per kind of read or change. The names are the
//! log's vocabulary (stored as text, filtered by prefix on the staff page), so a new kind
//! of entry is a new variant here, never a string typed at the call site.

/// One kind of audited read or change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AccountCreate,
    AccountDisable,
    AccountEmailVerified,
    AccountEnable,
    AccountInvitationAccepted,
    AccountList,
    AccountPasskeyAdd,
    AccountPasskeyRemove,
    AccountPasswordChange,
    AccountPasswordReset,
    AccountSignup,
    AccountTwoStepCodes,
    AccountTwoStepOff,
    AccountTwoStepOn,
    AccountTwoStepReset,
    AppointmentBook,
    AppointmentCancel,
    /// The patient said they will come (a message's link, a text, or staff on the phone).
    AppointmentConfirm,
    AppointmentOutcome,
    AppointmentRead,
    AppointmentReassign,
    AppointmentReschedule,
    AppointmentSearch,
    AttentionRead,
    AttentionResolve,
    AuditExport,
    AuthLogin,
    AuthLogout,
    AuthPasswordResetRequest,
    AuthPasskey,
    AuthSecondStep,
    CalendarRead,
    ClinicHolidayAdd,
    ClinicHolidayRemove,
    ClinicSettings,
    DoctorBlock,
    DoctorHours,
    DoctorLeave,
    DoctorUpdate,
    NotificationsRetry,
    PatientCreate,
    PatientInvite,
    PatientRead,
    PatientSearch,
    /// Staff put a patient (a caller) on the waitlist, or took one off.
    WaitlistAdd,
    WaitlistRemove,
    /// Staff read the waitlist (who waits).
    WaitlistRead,
    /// Staff created, changed, retired or restored a visit type.
    VisitTypeChange,
    /// A person was added to a carer's family (a new patient record without a login).
    FamilyAdd,
    /// A carer was linked to a person again, or a link ended (removed, unlinked, revoked,
    /// or ended by the person's own login).
    FamilyLink,
    FamilyUnlink,
    /// A carer read a dependant's visits.
    FamilyRead,
    /// A dependant was invited to their own login.
    FamilyInvite,
}

impl AuditAction {
    /// Every action, for listing and for tests.
    pub const ALL: [Self; 53] = [
        Self::AccountCreate,
        Self::AccountDisable,
        Self::AccountEmailVerified,
        Self::AccountEnable,
        Self::AccountInvitationAccepted,
        Self::AccountList,
        Self::AccountPasskeyAdd,
        Self::AccountPasskeyRemove,
        Self::AccountPasswordChange,
        Self::AccountPasswordReset,
        Self::AccountSignup,
        Self::AccountTwoStepCodes,
        Self::AccountTwoStepOff,
        Self::AccountTwoStepOn,
        Self::AccountTwoStepReset,
        Self::AppointmentBook,
        Self::AppointmentCancel,
        Self::AppointmentConfirm,
        Self::AppointmentOutcome,
        Self::AppointmentRead,
        Self::AppointmentReassign,
        Self::AppointmentReschedule,
        Self::AppointmentSearch,
        Self::AttentionRead,
        Self::AttentionResolve,
        Self::AuditExport,
        Self::AuthLogin,
        Self::AuthLogout,
        Self::AuthPasswordResetRequest,
        Self::AuthPasskey,
        Self::AuthSecondStep,
        Self::CalendarRead,
        Self::ClinicHolidayAdd,
        Self::ClinicHolidayRemove,
        Self::ClinicSettings,
        Self::DoctorBlock,
        Self::DoctorHours,
        Self::DoctorLeave,
        Self::DoctorUpdate,
        Self::NotificationsRetry,
        Self::PatientCreate,
        Self::PatientInvite,
        Self::PatientRead,
        Self::PatientSearch,
        Self::WaitlistAdd,
        Self::WaitlistRemove,
        Self::WaitlistRead,
        Self::VisitTypeChange,
        Self::FamilyAdd,
        Self::FamilyLink,
        Self::FamilyUnlink,
        Self::FamilyRead,
        Self::FamilyInvite,
    ];

    /// The name stored in the log: `<area>.<what>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreate => "account.create",
            Self::AccountDisable => "account.disable",
            Self::AccountEmailVerified => "account.email_verified",
            Self::AccountEnable => "account.enable",
            Self::AccountInvitationAccepted => "account.invitation_accepted",
            Self::AccountList => "account.list",
            Self::AccountPasswordChange => "account.password_change",
            Self::AccountPasswordReset => "account.password_reset",
            Self::AccountSignup => "account.signup",
            Self::AccountPasskeyAdd => "account.passkey_add",
            Self::AccountPasskeyRemove => "account.passkey_remove",
            Self::AccountTwoStepCodes => "account.two_step_codes",
            Self::AccountTwoStepOff => "account.two_step_off",
            Self::AccountTwoStepOn => "account.two_step_on",
            Self::AccountTwoStepReset => "account.two_step_reset",
            Self::AppointmentBook => "appointment.book",
            Self::AppointmentCancel => "appointment.cancel",
            Self::AppointmentConfirm => "appointment.confirm",
            Self::AppointmentOutcome => "appointment.outcome",
            Self::AppointmentRead => "appointment.read",
            Self::AppointmentReassign => "appointment.reassign",
            Self::AppointmentReschedule => "appointment.reschedule",
            Self::AppointmentSearch => "appointment.search",
            Self::AttentionRead => "attention.read",
            Self::AttentionResolve => "attention.resolve",
            Self::AuditExport => "audit.export",
            Self::AuthLogin => "auth.login",
            Self::AuthLogout => "auth.logout",
            Self::AuthPasswordResetRequest => "auth.password_reset_request",
            Self::AuthPasskey => "auth.passkey",
            Self::AuthSecondStep => "auth.second_step",
            Self::CalendarRead => "calendar.read",
            Self::ClinicHolidayAdd => "clinic.holiday_add",
            Self::ClinicHolidayRemove => "clinic.holiday_remove",
            Self::ClinicSettings => "clinic.settings",
            Self::DoctorBlock => "doctor.block",
            Self::DoctorHours => "doctor.hours",
            Self::DoctorLeave => "doctor.leave",
            Self::DoctorUpdate => "doctor.update",
            Self::NotificationsRetry => "notifications.retry",
            Self::PatientCreate => "patient.create",
            Self::PatientInvite => "patient.invite",
            Self::PatientRead => "patient.read",
            Self::PatientSearch => "patient.search",
            Self::WaitlistAdd => "waitlist.add",
            Self::WaitlistRemove => "waitlist.remove",
            Self::WaitlistRead => "waitlist.read",
            Self::VisitTypeChange => "visit_type.change",
            Self::FamilyAdd => "family.add",
            Self::FamilyLink => "family.link",
            Self::FamilyUnlink => "family.unlink",
            Self::FamilyRead => "family.read",
            Self::FamilyInvite => "family.invite",
        }
    }
}

/// Who an audit row says acted: a signed-in person's role, the system itself (a command
/// run by an operator), or nobody signed in (a failed sign-in, a reset asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditActor {
    Patient,
    Doctor,
    Admin,
    System,
    Anonymous,
}

impl AuditActor {
    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Doctor => "doctor",
            Self::Admin => "admin",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }
}

impl From<crate::role::Role> for AuditActor {
    fn from(role: crate::role::Role) -> Self {
        match role {
            crate::role::Role::Patient => Self::Patient,
            crate::role::Role::Doctor => Self::Doctor,
            crate::role::Role::Admin => Self::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_of_a_role_is_stored_as_the_role() {
        use crate::role::Role;
        for role in [Role::Patient, Role::Doctor, Role::Admin] {
            assert_eq!(AuditActor::from(role).as_str(), role.as_str());
        }
    }

    #[test]
    fn names_are_unique_and_shaped_area_dot_what() {
        let names: std::collections::BTreeSet<_> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
        for name in names {
            let (area, what) = name.split_once('.').expect("area.what");
            assert!(!area.is_empty() && !what.is_empty(), "{name}");
            assert!(name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'));
        }
    }
}
