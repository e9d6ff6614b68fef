//! Authentication (passwords, bearer tokens, judges' one-time codes) and the one
//! authorization policy of DESIGN §7.
pub mod caller;
pub mod limiter;
pub mod policy;
pub mod secret;

pub use caller::{Caller, MaybeCaller, SessionCache};
