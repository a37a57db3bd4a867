//! `/isolir`.
