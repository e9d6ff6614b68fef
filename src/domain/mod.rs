//! Pure domain types and rules: exact decimals, codes, enumerations, the inputs clients
//! send and their validated forms, the competition package. No I/O here ("parse, don't
//! validate").
pub mod ceremony;
pub mod code;
pub mod decimal;
pub mod input;
pub mod kinds;
pub mod names;
pub mod offence;
pub mod package;
pub mod sheet;
pub mod signoff;
pub mod spec;
pub mod tablet;
pub mod text;

pub use code::Code;
pub use decimal::{Centi, round2};
pub use offence::Offences;
pub use text::Text;
