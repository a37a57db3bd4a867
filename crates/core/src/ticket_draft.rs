//! The checks of a new ticket's text, shared by the API and the form: description length, the
//! title (defaulting to the description's start), the location (defaulting to the customer's
//! address), and that only a survey may have no customer.

use crate::ticket::TicketType;

pub const DESCRIPTION_MIN: usize = 5;
pub const DESCRIPTION_MAX: usize = 5_000;
pub const TITLE_MAX: usize = 200;
pub const LOCATION_MAX: usize = 300;
/// A title left empty is the description's first characters.
const TITLE_FROM_DESCRIPTION: usize = 80;

/// What was typed.
#[derive(Debug, Clone, Default)]
pub struct Draft<'a> {
    pub ticket_type: Option<TicketType>,
    pub description: &'a str,
    pub title: &'a str,
    pub location: &'a str,
    /// The customer's address and city, when the ticket has a customer.
    pub customer_address: Option<String>,
}

/// The checked text of a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub title: String,
    pub description: String,
    pub location: String,
}

/// One thing wrong with a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    DescriptionShort,
    DescriptionLong,
    NoCustomer,
    TitleLong,
    LocationLong,
}

impl Problem {
    /// The field it belongs to.
    pub fn field(self) -> &'static str {
        match self {
            Problem::DescriptionShort | Problem::DescriptionLong => "description",
            Problem::NoCustomer => "customer_id",
            Problem::TitleLong => "title",
            Problem::LocationLong => "location",
        }
    }

    /// The UI text's key (`locales/*.yml`).
    pub fn key(self) -> &'static str {
        match self {
            Problem::DescriptionShort => "ticket.err.description",
            Problem::DescriptionLong => "ticket.err.description_long",
            Problem::NoCustomer => "ticket.err.customer",
            Problem::TitleLong => "ticket.err.title",
            Problem::LocationLong => "ticket.err.location",
        }
    }

    /// The API's message.
    pub fn message(self) -> &'static str {
        match self {
            Problem::DescriptionShort => "describe the problem (at least 5 characters)",
            Problem::DescriptionLong => "at most 5000 characters",
            Problem::NoCustomer => "a ticket is for a customer (only surveys may have none)",
            Problem::TitleLong => "at most 200 characters",
            Problem::LocationLong => "at most 300 characters",
        }
    }
}

/// Checks `d`: the text to store, or every problem found.
pub fn check(d: &Draft<'_>) -> Result<Checked, Vec<Problem>> {
    let mut problems = Vec::new();
    let description = d.description.trim().to_owned();
    match description.chars().count() {
        n if n < DESCRIPTION_MIN => problems.push(Problem::DescriptionShort),
        n if n > DESCRIPTION_MAX => problems.push(Problem::DescriptionLong),
        _ => {}
    }
    if d.customer_address.is_none() && d.ticket_type.is_some_and(|t| t != TicketType::Survey) {
        problems.push(Problem::NoCustomer);
    }
    let title = Some(d.title.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| description.chars().take(TITLE_FROM_DESCRIPTION).collect());
    if title.chars().count() > TITLE_MAX {
        problems.push(Problem::TitleLong);
    }
    let location = Some(d.location.trim().to_owned())
        .filter(|l| !l.is_empty())
        .or_else(|| d.customer_address.clone())
        .unwrap_or_default();
    if location.chars().count() > LOCATION_MAX {
        problems.push(Problem::LocationLong);
    }
    if problems.is_empty() { Ok(Checked { title, description, location }) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(description: &str) -> Draft<'_> {
        Draft {
            ticket_type: Some(TicketType::Repair),
            description,
            customer_address: Some("Perum Galuh Mas Blok H2 No. 5, Karawang".into()),
            ..Draft::default()
        }
    }

    #[test]
    fn title_and_location_default_from_the_description_and_the_customer() {
        let long = "Internet mati sejak pagi, lampu LOS merah menyala terus dan modem sudah direstart berkali-kali";
        let c = check(&draft(long)).expect("valid");
        assert_eq!(c.title.chars().count(), 80);
        assert!(long.starts_with(&c.title));
        assert_eq!(c.location, "Perum Galuh Mas Blok H2 No. 5, Karawang");
        let typed = Draft { title: "  LOS merah ", location: " Tiang 12 ", ..draft(long) };
        let c = check(&typed).expect("valid");
        assert_eq!((c.title.as_str(), c.location.as_str()), ("LOS merah", "Tiang 12"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let long_title = "x".repeat(201);
        let long_place = "y".repeat(301);
        let d = Draft {
            ticket_type: Some(TicketType::Repair),
            description: " ab ",
            title: &long_title,
            location: &long_place,
            customer_address: None,
        };
        assert_eq!(
            check(&d),
            Err(vec![Problem::DescriptionShort, Problem::NoCustomer, Problem::TitleLong, Problem::LocationLong])
        );
        assert_eq!(check(&draft(&"z".repeat(5_001))), Err(vec![Problem::DescriptionLong]));
        assert!(check(&draft(&"z".repeat(5_000))).is_ok());
    }

    #[test]
    fn only_a_survey_may_have_no_customer() {
        for t in TicketType::ALL.iter().copied() {
            let d = Draft { ticket_type: Some(t), description: "Survei lokasi tiang", ..Draft::default() };
            assert_eq!(check(&d).is_ok(), t == TicketType::Survey, "{t}");
        }
    }
}
