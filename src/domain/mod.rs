//! Pure domain types and rules: exact decimals, codes, enumerations, the competition
//! package. No I/O here ("parse, don't validate").
pub mod code;
pub mod decimal;
pub mod kinds;
pub mod package;

pub use code::Code;
pub use decimal::Centi;
