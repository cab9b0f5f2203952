use std::fmt;

use crate::bindings::officine::platform::types;

/// Why something did not succeed.
///
/// The first five variants are the platform's own answers (the WIT `error`
/// variant); [`Error::BadRequest`] and [`Error::Decode`] come from this crate
/// when a request body or a stored value cannot be read.
///
/// A service must treat [`Error::Denied`] and [`Error::NotFound`] alike when
/// it comes to what exists: data the patient did not share is never
/// distinguishable from data that does not exist ([`Error::is_absent`]).
///
/// Used as a handler's error type, an `Error` becomes a plain-text response
/// with [`Error::status`] (see [`IntoResponse`](crate::IntoResponse)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The patient's consent does not cover this call.
    Denied,
    /// No such record for this patient, or not one this service may see.
    NotFound,
    /// The platform refused the arguments; the reason says which and why.
    Invalid(String),
    /// A platform limit was reached (size, quota, count); the reason names it.
    Limit(String),
    /// The platform could not serve the call just now; retrying later may work.
    Unavailable,
    /// The request could not be read: a malformed body, form or query, or a
    /// missing field. The message says what was wrong.
    BadRequest(String),
    /// A value (in storage, for example) could not be encoded or decoded.
    Decode(String),
}

/// `Result<T, officine_sdk::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status a handler answers with for this error: 403 denied,
    /// 404 not found, 400 invalid or bad request, 429 limit, 503 unavailable,
    /// 500 decode.
    pub fn status(&self) -> u16 {
        match self {
            Error::Denied => 403,
            Error::NotFound => 404,
            Error::Invalid(_) | Error::BadRequest(_) => 400,
            Error::Limit(_) => 429,
            Error::Unavailable => 503,
            Error::Decode(_) => 500,
        }
    }

    /// True for [`Error::Denied`] and [`Error::NotFound`]: the data is not
    /// there as far as this service can tell, whichever the reason.
    pub fn is_absent(&self) -> bool {
        matches!(self, Error::Denied | Error::NotFound)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Denied => f.write_str("the patient's consent does not cover this call"),
            Error::NotFound => f.write_str("not found"),
            Error::Invalid(reason) => write!(f, "invalid: {reason}"),
            Error::Limit(reason) => write!(f, "limit reached: {reason}"),
            Error::Unavailable => f.write_str("the platform is unavailable, try again later"),
            Error::BadRequest(reason) => write!(f, "bad request: {reason}"),
            Error::Decode(reason) => write!(f, "could not decode: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<types::Error> for Error {
    fn from(e: types::Error) -> Self {
        match e {
            types::Error::Denied => Error::Denied,
            types::Error::NotFound => Error::NotFound,
            types::Error::Invalid(reason) => Error::Invalid(reason),
            types::Error::Limit(reason) => Error::Limit(reason),
            types::Error::Unavailable => Error::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_platform_error() {
        assert_eq!(Error::from(types::Error::Denied), Error::Denied);
        assert_eq!(Error::from(types::Error::NotFound), Error::NotFound);
        assert_eq!(
            Error::from(types::Error::Invalid("weight out of range".into())),
            Error::Invalid("weight out of range".into())
        );
        assert_eq!(
            Error::from(types::Error::Limit("storage quota".into())),
            Error::Limit("storage quota".into())
        );
        assert_eq!(Error::from(types::Error::Unavailable), Error::Unavailable);
    }

    #[test]
    fn statuses_and_messages() {
        assert_eq!(Error::Denied.status(), 403);
        assert_eq!(Error::NotFound.status(), 404);
        assert_eq!(Error::Invalid("x".into()).status(), 400);
        assert_eq!(Error::BadRequest("x".into()).status(), 400);
        assert_eq!(Error::Limit("x".into()).status(), 429);
        assert_eq!(Error::Unavailable.status(), 503);
        assert_eq!(Error::Decode("x".into()).status(), 500);
        assert_eq!(
            Error::Invalid("weight out of range".into()).to_string(),
            "invalid: weight out of range"
        );
        assert!(Error::Denied.is_absent());
        assert!(Error::NotFound.is_absent());
        assert!(!Error::Unavailable.is_absent());
    }
}
