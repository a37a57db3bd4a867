//! `str_enum!`: a fieldless enum stored and sent as snake_case text, with `ALL`, `as_str`,
//! `Display` and `FromStr` (an [`UnknownValue`](crate::notification::UnknownValue) naming it).

/// Declares the enum and its text forms: `str_enum! { "ticket type", pub enum TicketType { Repair = "repair", … } }`.
#[macro_export]
macro_rules! str_enum {
    ($what:literal, $(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::str_enum_schema!($name);

        impl std::str::FromStr for $name {
            type Err = $crate::notification::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::notification::UnknownValue {
                        what: $what,
                        value: s.to_owned(),
                        expected: &[$($text),+],
                    })
            }
        }
    };
}

/// The OpenAPI schema of a text enum with `ALL` and `as_str` (feature `openapi`): a string with
/// exactly those values. `str_enum!` declares it; hand-written enums call it themselves.
#[macro_export]
macro_rules! str_enum_schema {
    ($name:ident) => {
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}
