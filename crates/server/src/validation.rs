//! What validation errors say to people, in their language: each rule broken (a core error, or a
//! rule of a form) is a message key of the locale files (`val.*`), carried through
//! [`FieldErrors`] as an [`i18n::msg`](crate::i18n::msg) token and rendered by the page in its
//! language and by the API in English.

use crate::error::FieldErrors;
use crate::i18n::msg;
use aglis_core::customer::CustomerValueError;
use aglis_core::network::{MAX_PORTS, NetworkError};
use aglis_core::phone::PhoneError;
use aglis_core::user::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, UserValueError};

/// Adds `message` (a [`msg`] token, or an [`Explain`]ed error) to `field`.
pub fn push(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors.entry(field.to_owned()).or_default().push(message.into());
}

/// An error that says itself as a message token.
pub trait Explain {
    fn explain(&self) -> String;
}

impl Explain for PhoneError {
    fn explain(&self) -> String {
        let key = match self {
            PhoneError::Empty => "val.phone.empty",
            PhoneError::BadCharacters => "val.phone.characters",
            PhoneError::NotIndonesian => "val.phone.not_indonesian",
            PhoneError::BadLength => "val.phone.length",
        };
        msg(key, &[])
    }
}

impl Explain for CustomerValueError {
    fn explain(&self) -> String {
        match self {
            CustomerValueError::Transition { from, to } => {
                msg("val.customer.transition", &[("from", from), ("to", to)])
            }
            CustomerValueError::Name => msg("val.customer.name", &[]),
            CustomerValueError::Address => msg("val.customer.address", &[]),
            CustomerValueError::Ktp => msg("val.customer.ktp", &[]),
            CustomerValueError::Code => msg("val.customer.code", &[]),
        }
    }
}

impl Explain for UserValueError {
    fn explain(&self) -> String {
        match self {
            UserValueError::Username => msg("val.user.username", &[]),
            UserValueError::PasswordTooShort => msg("val.user.password_short", &[("min", &MIN_PASSWORD_LEN)]),
            UserValueError::PasswordTooLong => msg("val.user.password_long", &[("max", &MAX_PASSWORD_LEN)]),
            UserValueError::FullName => msg("val.user.full_name", &[]),
            UserValueError::Email => msg("val.email", &[]),
        }
    }
}

impl Explain for NetworkError {
    fn explain(&self) -> String {
        match self {
            NetworkError::OdpCode => msg("val.odp.code", &[]),
            NetworkError::Ports => msg("val.odp.ports", &[("max", &MAX_PORTS)]),
            NetworkError::NoSuchPort { port, total } => {
                msg("val.odp.no_such_port", &[("port", port), ("total", total)])
            }
            NetworkError::Location => msg("val.location", &[]),
            NetworkError::Speed => msg("val.package.speed", &[]),
        }
    }
}

impl Explain for aglis_core::sla_input::SlaInputError {
    fn explain(&self) -> String {
        use aglis_core::sla_input::SlaInputError as E;
        let key = match self {
            E::Type => "slaadm.err.type",
            E::Priority | E::Twice => "slaadm.err.priority",
            E::Calendar => "slaadm.err.calendar",
            E::Response | E::Resolution => "slaadm.err.minutes",
            E::ResponseAfterResolution => "slaadm.err.order",
            E::Date => "slaadm.err.date",
            E::Name => "slaadm.err.name",
            E::Year => "slaadm.err.year",
            E::Taken => "slaadm.err.taken",
        };
        msg(key, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Every message token this module makes has a text in both languages.
    #[test]
    fn every_explained_error_has_a_text_in_both_languages() {
        let tokens = [
            PhoneError::Empty.explain(),
            PhoneError::BadCharacters.explain(),
            PhoneError::NotIndonesian.explain(),
            PhoneError::BadLength.explain(),
            CustomerValueError::Name.explain(),
            CustomerValueError::Address.explain(),
            CustomerValueError::Ktp.explain(),
            CustomerValueError::Code.explain(),
            CustomerValueError::Transition {
                from: aglis_core::customer::CustomerStatus::Active,
                to: aglis_core::customer::CustomerStatus::Prospect,
            }
            .explain(),
            UserValueError::Username.explain(),
            UserValueError::PasswordTooShort.explain(),
            UserValueError::PasswordTooLong.explain(),
            UserValueError::FullName.explain(),
            UserValueError::Email.explain(),
            NetworkError::OdpCode.explain(),
            NetworkError::Ports.explain(),
            NetworkError::NoSuchPort { port: 9, total: 8 }.explain(),
            NetworkError::Location.explain(),
            NetworkError::Speed.explain(),
        ];
        let sla = aglis_core::sla_input::SlaInputError::ALL.iter().map(Explain::explain);
        for t in tokens.into_iter().chain(sla) {
            for lang in [Lang::Id, Lang::En] {
                let text = lang.render(&t);
                assert!(!text.starts_with('@') && !text.contains('{'), "{t} in {lang:?}: {text}");
            }
        }
    }
}
