//! EC2 error answers: code, HTTP status and message, rendered as EC2's error XML.

use crate::world::WorldError;
use axum::http::StatusCode;

/// One EC2 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// A 400 with `code`: every client error EC2 sends is a 400 (even the `.NotFound` ones).
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn missing(param: &str) -> Self {
        ApiError::client(
            "MissingParameter",
            format!("The request must contain the parameter {param}"),
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::client("InvalidParameterValue", message)
    }

    pub fn bad_filter(name: &str) -> Self {
        ApiError::invalid(format!("The filter '{name}' is invalid"))
    }

    pub fn throttled() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "RequestLimitExceeded",
            "Request limit exceeded.",
        )
    }

    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal error has occurred. (injected by the sandbox)",
        )
    }

    pub fn unavailable() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "The service is unavailable. Please try again shortly. (injected by the sandbox)",
        )
    }

    pub fn is_throttle(&self) -> bool {
        self.code == "RequestLimitExceeded"
    }
}

impl From<WorldError> for ApiError {
    fn from(e: WorldError) -> Self {
        ApiError::client(e.code(), e.to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
