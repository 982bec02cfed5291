//! SDK failures of every service, classified once ([`Failure::class`]).
//!
//! Contract: [`failure_of`] strips the SDK types from an error (no answer, not sent, or an
//! answer with a status, a code and a message); [`Failure::class`] says what it means —
//! throttled, unavailable (retryable), access denied, condition failed, not found, or other —
//! by one table of codes shared by EC2 (`ec2`: the mapping to the engine's `NetError`),
//! DynamoDB, SNS and CloudWatch. Each service then words its error (naming the resource and the
//! IAM action) from the class, never from a message.

mod ec2;

pub(crate) use ec2::{Target, sdk_error};

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// What went wrong, stripped of SDK types so that [`Failure::class`] can be table-tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer: a timeout, or the connection failed or broke.
    NoAnswer { message: String },
    /// The request was never sent: it could not be built, signed (no credentials) or dispatched.
    NotSent { message: String },
    /// EC2 answered with an error (or with something the SDK could not parse).
    Answer {
        status: Option<u16>,
        code: Option<String>,
        message: String,
    },
}

/// Throttling codes. `RequestLimitExceeded` is EC2's, `ProvisionedThroughputExceededException`
/// and `LimitExceededException` (too many control-plane calls at once) DynamoDB's; the others
/// are what AWS's own retry classifier treats as throttling, kept so that a proxy or a future
/// code still backs off. Deliberately not `*LimitExceeded` in general: those are quotas
/// (EC2's `RouteLimitExceeded`, CloudWatch's `LimitExceeded`), and retrying never helps.
const THROTTLING: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "EC2ThrottledException",
    "TooManyRequestsException",
    "BandwidthLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
];

/// Server-side or transient codes, sent with or without a 5xx status: retry later.
const SERVER: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "TransactionConflictException",
    "ReplicatedWriteConflictException",
];

/// Codes of a request the caller is not allowed (or not authenticated) to make: the error
/// names the IAM action.
const ACCESS: &[&str] = &[
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "AuthFailure",
    "AuthorizationError",
    "AuthorizationErrorException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
];

/// A conditional write whose condition did not hold (DynamoDB): an answer, not a failure.
const CONDITION_FAILED: &[&str] = &["ConditionalCheckFailedException"];

/// Codes of a missing resource, besides EC2's `<Something>.NotFound`.
const NOT_FOUND: &[&str] = &[
    "NotFound",
    "NotFoundException",
    "ResourceNotFound",
    "ResourceNotFoundException",
];

/// What a failure means, the same for every service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Too fast: retry later, slower.
    Throttled,
    /// No answer, or a server-side failure: retry later.
    Unavailable,
    /// The role may not make this call.
    AccessDenied,
    /// The condition of a conditional write did not hold.
    ConditionFailed,
    /// The resource the call names does not exist.
    NotFound,
    /// Anything else (a bad request, a request never sent): final.
    Other,
}

impl Class {
    pub(crate) fn is_retryable(self) -> bool {
        matches!(self, Class::Throttled | Class::Unavailable)
    }
}

impl Failure {
    /// The error code without its protocol's decoration: EC2's Query API documents `Client.X` /
    /// `Server.X` (the wire carries plain `X`), JSON protocols may send `namespace#X`.
    pub(crate) fn code(&self) -> Option<&str> {
        let Failure::Answer { code: Some(c), .. } = self else {
            return None;
        };
        let c = c.rsplit('#').next().unwrap_or(c);
        Some(
            c.strip_prefix("Client.")
                .or_else(|| c.strip_prefix("Server."))
                .unwrap_or(c),
        )
    }

    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Failure::Answer { status, .. } => *status,
            _ => None,
        }
    }

    /// The code, or `HTTP<status>` for an answer without one, or `Unknown`: how an error that
    /// is none of the classes names what went wrong.
    pub(crate) fn code_or_status(&self) -> String {
        match (self.code(), self.status()) {
            (Some(code), _) => code.to_owned(),
            (None, Some(status)) => format!("HTTP{status}"),
            (None, None) => "Unknown".to_owned(),
        }
    }

    /// An answer with `status`, `code` and `message`, for the services' classification tests.
    #[cfg(test)]
    pub(crate) fn answer(status: u16, code: &str, message: &str) -> Failure {
        Failure::Answer {
            status: Some(status),
            code: Some(code.to_owned()),
            message: message.to_owned(),
        }
    }

    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::NoAnswer { message }
            | Failure::NotSent { message }
            | Failure::Answer { message, .. } => message,
        }
    }

    /// Whether the code is one of `list` (codes compare case-insensitively).
    pub(crate) fn is(&self, list: &[&str]) -> bool {
        self.code()
            .is_some_and(|c| list.iter().any(|k| k.eq_ignore_ascii_case(c)))
    }

    /// The one classification. The order matters only for a code that contradicts its status:
    /// a throttling code or 429 is throttling whatever else, and a 5xx is retryable unless its
    /// code says what is wrong.
    pub(crate) fn class(&self) -> Class {
        match self {
            Failure::NoAnswer { .. } => return Class::Unavailable,
            Failure::NotSent { .. } => return Class::Other,
            Failure::Answer { .. } => {}
        }
        let status = self.status();
        if self.is(CONDITION_FAILED) {
            Class::ConditionFailed
        } else if self.is(THROTTLING) || status == Some(429) {
            // 429 is not EC2's way (it answers 503 RequestLimitExceeded), but a proxy's.
            Class::Throttled
        } else if self.is(ACCESS) {
            Class::AccessDenied
        } else if self.is(NOT_FOUND)
            || self
                .code()
                .is_some_and(|c| c.to_ascii_lowercase().ends_with(".notfound"))
        {
            Class::NotFound
        } else if self.is(SERVER) || status.is_some_and(|s| s >= 500) {
            Class::Unavailable
        } else {
            Class::Other
        }
    }
}

pub(crate) fn failure_of<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let full = || DisplayErrorContext(err).to_string();
    match err {
        SdkError::TimeoutError(_) => Failure::NoAnswer { message: full() },
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
            Failure::NoAnswer { message: full() }
        }
        // Construction failures, user errors, and identity resolution (credentials) failures,
        // which the orchestrator reports as a dispatch failure of kind "other".
        SdkError::ConstructionFailure(_) | SdkError::DispatchFailure(_) => {
            Failure::NotSent { message: full() }
        }
        SdkError::ResponseError(r) => Failure::Answer {
            status: Some(r.raw().status().as_u16()),
            code: None,
            message: full(),
        },
        SdkError::ServiceError(s) => Failure::Answer {
            status: Some(s.raw().status().as_u16()),
            code: err.code().map(str::to_owned),
            message: err.message().map(str::to_owned).unwrap_or_else(full),
        },
        // SdkError is non-exhaustive: an unknown kind is not known to be transient.
        _ => Failure::NotSent { message: full() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, code: &str) -> Failure {
        Failure::answer(status, code, "ec2 says no")
    }

    #[test]
    fn one_class_per_code() {
        let cases = [
            ("RequestLimitExceeded", 503, Class::Throttled),
            (
                "ProvisionedThroughputExceededException",
                400,
                Class::Throttled,
            ),
            ("Throttling", 400, Class::Throttled),
            ("SomethingNew", 429, Class::Throttled),
            ("RouteLimitExceeded", 400, Class::Other),
            ("LimitExceeded", 400, Class::Other),
            ("InternalServerError", 500, Class::Unavailable),
            ("ServiceUnavailable", 400, Class::Unavailable),
            ("SomethingNew", 502, Class::Unavailable),
            ("UnauthorizedOperation", 403, Class::AccessDenied),
            ("AccessDeniedException", 400, Class::AccessDenied),
            ("AuthorizationError", 403, Class::AccessDenied),
            ("Client.UnauthorizedOperation", 400, Class::AccessDenied),
            (
                "ConditionalCheckFailedException",
                400,
                Class::ConditionFailed,
            ),
            (
                "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
                400,
                Class::ConditionFailed,
            ),
            ("ResourceNotFoundException", 400, Class::NotFound),
            ("NotFound", 404, Class::NotFound),
            ("InvalidRoute.NotFound", 400, Class::NotFound),
            ("ValidationException", 400, Class::Other),
        ];
        for (code, status, want) in cases {
            assert_eq!(answer(status, code).class(), want, "{code} {status}");
        }
        let no_answer = Failure::NoAnswer {
            message: "timed out".into(),
        };
        assert_eq!(no_answer.class(), Class::Unavailable);
        assert!(no_answer.class().is_retryable());
        let not_sent = Failure::NotSent {
            message: "no credentials".into(),
        };
        assert_eq!(not_sent.class(), Class::Other);
    }

    #[test]
    fn code_or_status_names_what_went_wrong() {
        assert_eq!(answer(400, "Client.Whatever").code_or_status(), "Whatever");
        let bare = |status| Failure::Answer {
            status,
            code: None,
            message: "not xml".into(),
        };
        assert_eq!(bare(Some(502)).code_or_status(), "HTTP502");
        assert_eq!(bare(None).code_or_status(), "Unknown");
    }

    #[test]
    fn failure_of_sdk_error_kinds() {
        use aws_sdk_ec2::error::{ConnectorError, ErrorMetadata};
        use aws_sdk_ec2::operation::replace_transit_gateway_route::ReplaceTransitGatewayRouteError as E;
        use aws_smithy_types::body::SdkBody;

        let raw = |status: u16| {
            HttpResponse::new(
                status.try_into().expect("status"),
                SdkBody::from("<Response/>"),
            )
        };
        let service = SdkError::<E, HttpResponse>::service_error(
            E::generic(
                ErrorMetadata::builder()
                    .code("RequestLimitExceeded")
                    .message("Request limit exceeded.")
                    .build(),
            ),
            raw(503),
        );
        assert_eq!(
            failure_of(&service),
            Failure::Answer {
                status: Some(503),
                code: Some("RequestLimitExceeded".into()),
                message: "Request limit exceeded.".into(),
            }
        );

        let timeout = SdkError::<E, HttpResponse>::timeout_error("slow");
        assert!(matches!(failure_of(&timeout), Failure::NoAnswer { .. }));

        let io = SdkError::<E, HttpResponse>::dispatch_failure(ConnectorError::io(
            "connection refused".into(),
        ));
        assert!(matches!(failure_of(&io), Failure::NoAnswer { .. }));

        let creds = SdkError::<E, HttpResponse>::dispatch_failure(ConnectorError::other(
            "failed to load credentials".into(),
            None,
        ));
        assert!(matches!(failure_of(&creds), Failure::NotSent { .. }));

        let garbled = SdkError::<E, HttpResponse>::response_error("unparseable", raw(502));
        let mapped = sdk_error(
            tgw_ha_engine::layer::Ec2Action::DescribeVpnConnections,
            Target::Read,
        )(garbled);
        assert!(mapped.is_retryable(), "{mapped}");
    }
}
