//! The security audit log's vocabulary: what happened ([`AuditEvent`]) and how it ended
//! ([`AuditResult`]). The hash chain over the records lives here too (plain functions, no database).

crate::str_enum! { "audit event",
    /// Something a security review wants to find later.
    pub enum AuditEvent {
        LoginSucceeded = "login.success",
        LoginFailed = "login.failure",
        Logout = "logout",
        /// Every session of a user ended at once ("log out everywhere", a password change).
        LogoutAll = "logout.all",
        AccountLocked = "account.locked",
        AccountUnlocked = "account.unlocked",
        TwoFactorEnabled = "2fa.enabled",
        TwoFactorDisabled = "2fa.disabled",
        /// An admin cleared another user's second factor.
        TwoFactorReset = "2fa.reset",
        TwoFactorFailed = "2fa.failure",
        RecoveryCodeUsed = "2fa.recovery_used",
        PasswordChanged = "password.changed",
        /// An admin set another user's password.
        PasswordReset = "password.reset",
        UserCreated = "user.created",
        RoleChanged = "user.role_changed",
        UserDeactivated = "user.deactivated",
        UserReactivated = "user.reactivated",
        DataExported = "data.exported",
        /// Customer personal data or payment data was read.
        SensitiveViewed = "sensitive.viewed",
        SettingChanged = "setting.changed",
        WebhookSignatureFailed = "webhook.signature_failed",
        /// Old records were removed by the retention purge (the chain stays verifiable).
        AuditPurged = "audit.purged",
    }
}

crate::str_enum! { "audit result",
    pub enum AuditResult {
        Success = "success",
        Failure = "failure",
        /// Refused by a rule (locked account, missing permission, bad signature).
        Denied = "denied",
    }
}
