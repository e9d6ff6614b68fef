//! Authentication: passwords, bearer tokens and judges' one-time codes, and the callers
//! they resolve to. What a caller may do is the model's policy (`model::policy`).
pub mod limiter;
pub mod secret;
pub mod session;

pub use crate::model::Caller;
pub use session::{MaybeCaller, Sessions};
