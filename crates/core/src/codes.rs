//! Human codes (spec domain §3): a series is a prefix that names its day or month and a
//! zero-padded counter, e.g. `AGLS20261206` + `0001`, `TKT20261206` + `001`, `INV-202612-` +
//! `000001`. The database hands out the counter ([`aglis_db`'s `codes::next`]); the rules of each
//! series live here.

/// One series of codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub prefix: String,
    /// Digits of the counter at least (it may grow past them when `max` allows).
    pub width: usize,
    /// The highest counter the series allows.
    pub max: u32,
}

/// The series has no number left (its day's or month's counter is at `max`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no more numbers can be given out in {prefix} (at most {max})")]
pub struct SeriesFull {
    pub prefix: String,
    pub max: u32,
}

impl Series {
    pub fn new(prefix: impl Into<String>, width: usize, max: u32) -> Self {
        Series { prefix: prefix.into(), width, max }
    }

    /// The code with counter `n`.
    pub fn code(&self, n: u32) -> Result<String, SeriesFull> {
        if n == 0 || n > self.max {
            return Err(SeriesFull { prefix: self.prefix.clone(), max: self.max });
        }
        Ok(format!("{}{n:0width$}", self.prefix, width = self.width))
    }

    /// The counter of `code`, if it belongs to this series.
    pub fn number_of(&self, code: &str) -> Option<u32> {
        code.strip_prefix(&self.prefix).filter(|n| n.chars().all(|c| c.is_ascii_digit())).and_then(|n| n.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_prefix_and_a_padded_counter_up_to_the_maximum() {
        let s = Series::new("TKT20261206", 3, 9_999);
        assert_eq!(s.code(1).as_deref(), Ok("TKT20261206001"));
        assert_eq!(s.code(1_000).as_deref(), Ok("TKT202612061000"), "grows past its width");
        assert!(s.code(10_000).is_err() && s.code(0).is_err());
        assert_eq!(s.number_of("TKT202612061000"), Some(1_000));
        assert_eq!(s.number_of("TKT20261205001"), None, "another day");
        assert_eq!(s.number_of("TKT20261206x1"), None);
    }
}
