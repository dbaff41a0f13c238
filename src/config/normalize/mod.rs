//! Spellings normalised to what PostgreSQL stores, so that a desired value
//! compares equal to the live one and plans stay empty after an apply.

pub(crate) mod encoding;
pub(crate) mod settings;
pub(crate) mod signature;
pub(crate) mod timestamp;
