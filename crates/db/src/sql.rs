//! Raw SQL for the few queries SeaQuery cannot express well (the word-index searches): text built
//! from fixed pieces, every value bound.

use sea_orm::{DatabaseBackend, Statement, Value};

/// SQL text with a `?` for each value, the values in order: a value is always bound, never
/// formatted into the text. [`Sql::statement`] numbers the placeholders for PostgreSQL (`$1`…);
/// the text holds no other `?` (no literals at all).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Sql { text: text.to_owned(), values: Vec::new() }
    }

    pub(crate) fn push(mut self, text: &str) -> Self {
        self.text.push_str(text);
        self
    }

    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    pub(crate) fn append(mut self, other: Sql) -> Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values);
        self
    }

    /// `parts` joined by `sep`.
    pub(crate) fn join(parts: Vec<Sql>, sep: &str) -> Sql {
        let mut out = Sql::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out = out.push(sep);
            }
            out = out.append(part);
        }
        out
    }

    pub(crate) fn statement(self, backend: DatabaseBackend) -> Statement {
        let text = match backend {
            DatabaseBackend::Postgres => {
                let mut n = 0;
                let mut numbered = String::with_capacity(self.text.len() + 8);
                for c in self.text.chars() {
                    if c == '?' {
                        n += 1;
                        numbered.push_str(&format!("${n}"));
                    } else {
                        numbered.push(c);
                    }
                }
                numbered
            }
            _ => self.text,
        };
        Statement::from_sql_and_values(backend, text, self.values)
    }
}

impl Sql {
    /// A SeaQuery statement as text with `?` placeholders and its values (the SQLite
    /// builder's syntax is the common ground; [`Sql::statement`] numbers them for PostgreSQL).
    pub(crate) fn from_query(stmt: &sea_orm::sea_query::SelectStatement) -> Sql {
        let (text, values) = stmt.build(sea_orm::sea_query::SqliteQueryBuilder);
        Sql { text, values: values.0 }
    }
}

/// `n` as a bound integer.
pub(crate) fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let sql = Sql::new("a = ").bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(sql.clone().statement(DatabaseBackend::Postgres).sql, "a = $1 AND b = $2");
        assert_eq!(sql.statement(DatabaseBackend::Sqlite).sql, "a = ? AND b = ?");
    }
}
