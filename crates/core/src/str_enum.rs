//! `str_enum!`: a fieldless enum stored and sent as snake_case text, with `ALL`, `as_str`,
//! `Display` and `FromStr` (an [`UnknownValue`](crate::notification::UnknownValue) naming it).
//! With the feature `sea-orm` it is also a SeaORM string-backed enum: an entity field of this type is
//! stored as the same text and read back typed (an unknown stored value is a type error, not a default).

/// Declares the enum and its text forms: `str_enum! { "ticket type", pub enum TicketType { Repair = "repair", … } }`.
/// Written `Critical = "critical" @ 0`, the variants also have a rank, and that rank (a small integer,
/// so an index orders by it) is what a database column holds instead of the text.
#[macro_export]
macro_rules! str_enum {
    (@text $what:literal, $name:ident { $($variant:ident = $text:literal),+ }) => {
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
    ($what:literal, $(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal @ $rank:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "i16", db_type = "SmallInteger"))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] #[cfg_attr(feature = "sea-orm", sea_orm(num_value = $rank))] $variant),+
        }

        impl $name {
            /// The stored rank.
            pub fn rank(self) -> i16 {
                match self {
                    $($name::$variant => $rank),+
                }
            }

            pub fn from_rank(rank: i16) -> Option<Self> {
                $name::ALL.iter().copied().find(|v| v.rank() == rank)
            }
        }

        $crate::str_enum!(@text $what, $name { $($variant = $text),+ });
    };
    ($what:literal, $(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "sea-orm", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] #[cfg_attr(feature = "sea-orm", sea_orm(string_value = $text))] $variant),+
        }

        $crate::str_enum!(@text $what, $name { $($variant = $text),+ });
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
