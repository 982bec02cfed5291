//! SDK failures of every service, classified once ([`Failure::class`]), and the EC2 mapping to
//! the engine's [`NetError`].
//!
//! Contract: [`failure_of`] strips the SDK types from an error (no answer, not sent, or an
//! answer with a status, a code and a message); [`Failure::class`] says what it means —
//! throttled, unavailable (retryable), access denied, condition failed, not found, or other —
//! by one table of codes shared by EC2, DynamoDB, SNS and CloudWatch. Each service then words
//! its error (naming the resource and the IAM action) from the class, never from a message.
//!
//! The engine's executor decides from the [`NetError`] variant alone whether to retry:
//! throttling and server-side failures are retried with backoff, everything else is final. So
//! the table is strict about what it calls retryable: EC2's quota errors
//! (`RouteLimitExceeded`, …) look like throttling by name but never pass, and are final. A route
//! that vanished is its own variant only when the caller names the route it was moving
//! ([`Target`]); a missing attachment (the move's *target*) is never reported as a vanished
//! route, since that would make the engine drop the route from its ledger.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tgw_ha_core::ids::{PrefixListId, RouteTableId};
use tgw_ha_engine::ports::NetError;

/// What a call was acting on, so that "not found" can name it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// A read of the whole account (DescribeVpnConnections): nothing in particular can vanish.
    Read,
    /// A read about one resource (a TGW, a route table), named in messages.
    ReadOf(&'a str),
    /// ReplaceTransitGatewayRoute of one CIDR route.
    Route {
        table: &'a RouteTableId,
        cidr: &'a str,
    },
    /// ModifyTransitGatewayPrefixListReference of one reference.
    PrefixListReference {
        table: &'a RouteTableId,
        prefix_list: &'a PrefixListId,
    },
}

/// What went wrong, stripped of SDK types so that [`classify`] can be table-tested.
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

/// Codes that mean the route (or its table) is gone. `InvalidRoute.NotFound` is what the delete
/// call is documented to answer; that the replace call answers the same is likely but
/// unconfirmed (AWS-FACTS.md), hence the table's code too.
const ROUTE_GONE: &[&str] = &["InvalidRoute.NotFound", "InvalidRouteTableID.NotFound"];

/// Codes that mean a prefix-list reference is gone. EC2 documents no code for a missing
/// reference: a deleted table or prefix list takes its references with it, and any
/// `…PrefixListReference….NotFound` code is taken at its word (see [`is_reference_gone`]).
const REFERENCE_GONE: &[&str] = &[
    "InvalidRouteTableID.NotFound",
    "InvalidPrefixListID.NotFound",
];

/// Map an SDK error of the EC2 action `op` (its IAM name, e.g. `ReplaceTransitGatewayRoute`).
pub(crate) fn map_sdk_error<E>(
    op: &str,
    target: Target<'_>,
    err: SdkError<E, HttpResponse>,
) -> NetError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    classify(op, target, failure_of(&err))
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

/// The EC2 decision, on plain data: the shared class, refined by what the call was acting on.
pub(crate) fn classify(op: &str, target: Target<'_>, failure: Failure) -> NetError {
    let op = op.to_owned();
    let message = with_target(target, failure.message());
    match failure.class() {
        Class::Throttled => return NetError::Throttled { op, message },
        Class::AccessDenied => return NetError::AccessDenied { op, message },
        Class::Unavailable => return NetError::Unavailable { op, message },
        _ if matches!(failure, Failure::NotSent { .. }) => {
            return NetError::Rejected {
                op,
                code: "RequestNotSent".to_owned(),
                message,
            };
        }
        Class::NotFound => {
            let gone = |table: &RouteTableId, destination: String| NetError::RouteNotFound {
                op: op.clone(),
                table: table.clone(),
                destination,
            };
            match target {
                Target::Route { table, cidr } if failure.is(ROUTE_GONE) => {
                    return gone(table, cidr.to_owned());
                }
                Target::PrefixListReference { table, prefix_list }
                    if failure.is(REFERENCE_GONE)
                        || failure.code().is_some_and(is_reference_gone) =>
                {
                    return gone(table, prefix_list.to_string());
                }
                // Something else is missing (the target attachment; a read has no route to
                // lose): final, unless the server failed while saying so.
                _ if failure.status().is_some_and(|s| s >= 500) => {
                    return NetError::Unavailable { op, message };
                }
                _ => {}
            }
        }
        Class::ConditionFailed | Class::Other => {}
    }
    let code = failure.code().map_or_else(
        || {
            failure
                .status()
                .map_or_else(|| "Unknown".to_owned(), |s| format!("HTTP{s}"))
        },
        str::to_owned,
    );
    NetError::Rejected { op, code, message }
}

fn is_reference_gone(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("prefixlistreference") && c.ends_with(".notfound")
}

/// EC2's message, prefixed with the resource the call was about.
fn with_target(target: Target<'_>, message: &str) -> String {
    match target {
        Target::Read => message.to_owned(),
        Target::ReadOf(id) => format!("{id}: {message}"),
        Target::Route { table, cidr } => format!("{table} {cidr}: {message}"),
        Target::PrefixListReference { table, prefix_list } => {
            format!("{table} {prefix_list}: {message}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, code: &str) -> Failure {
        Failure::Answer {
            status: Some(status),
            code: Some(code.to_owned()),
            message: "ec2 says no".to_owned(),
        }
    }

    fn kind(e: &NetError) -> &'static str {
        match e {
            NetError::Throttled { .. } => "throttled",
            NetError::Unavailable { .. } => "unavailable",
            NetError::RouteNotFound { .. } => "not-found",
            NetError::AccessDenied { .. } => "denied",
            NetError::Rejected { .. } => "rejected",
        }
    }

    #[test]
    fn classify_table() {
        let table = RouteTableId::new("tgw-rtb-1");
        let pl = PrefixListId::new("pl-1");
        let route = Target::Route {
            table: &table,
            cidr: "10.0.0.0/16",
        };
        let reference = Target::PrefixListReference {
            table: &table,
            prefix_list: &pl,
        };
        let cases: Vec<(Target<'_>, Failure, &str)> = vec![
            (
                Target::Read,
                answer(503, "RequestLimitExceeded"),
                "throttled",
            ),
            (route, answer(400, "RequestLimitExceeded"), "throttled"),
            (
                Target::Read,
                answer(400, "Client.RequestLimitExceeded"),
                "throttled",
            ),
            (Target::Read, answer(400, "Throttling"), "throttled"),
            // Quotas look like throttling by name; retrying never helps.
            (route, answer(400, "RouteLimitExceeded"), "rejected"),
            (
                route,
                answer(400, "TransitGatewayLimitExceeded"),
                "rejected",
            ),
            (Target::Read, answer(500, "InternalError"), "unavailable"),
            (Target::Read, answer(503, "Unavailable"), "unavailable"),
            (Target::Read, answer(502, "SomethingNew"), "unavailable"),
            (
                Target::Read,
                answer(400, "ServiceUnavailable"),
                "unavailable",
            ),
            (
                Target::Read,
                Failure::NoAnswer {
                    message: "timed out".into(),
                },
                "unavailable",
            ),
            (
                Target::Read,
                Failure::NotSent {
                    message: "no credentials".into(),
                },
                "rejected",
            ),
            (route, answer(400, "InvalidRoute.NotFound"), "not-found"),
            (
                route,
                answer(400, "InvalidRouteTableID.NotFound"),
                "not-found",
            ),
            // The target attachment missing is not the route vanishing.
            (
                route,
                answer(400, "InvalidTransitGatewayAttachmentID.NotFound"),
                "rejected",
            ),
            // A read has no route to lose.
            (
                Target::Read,
                answer(400, "InvalidRouteTableID.NotFound"),
                "rejected",
            ),
            (
                reference,
                answer(400, "InvalidRouteTableID.NotFound"),
                "not-found",
            ),
            (
                reference,
                answer(400, "InvalidPrefixListID.NotFound"),
                "not-found",
            ),
            (
                reference,
                answer(400, "InvalidTransitGatewayPrefixListReference.NotFound"),
                "not-found",
            ),
            (reference, answer(400, "InvalidRoute.NotFound"), "rejected"),
            (route, answer(403, "UnauthorizedOperation"), "denied"),
            (Target::Read, answer(403, "AccessDenied"), "denied"),
            (Target::Read, answer(401, "AuthFailure"), "denied"),
            (
                Target::Read,
                answer(400, "Client.UnauthorizedOperation"),
                "denied",
            ),
            (Target::Read, answer(429, "SomethingNew"), "throttled"),
            (
                Target::ReadOf("tgw-rtb-1"),
                answer(400, "InvalidRoute.NotFound"),
                "rejected",
            ),
            (route, answer(400, "InvalidParameterValue"), "rejected"),
            (route, answer(400, "IncorrectState"), "rejected"),
        ];
        for (target, failure, want) in cases {
            let got = classify("ReplaceTransitGatewayRoute", target, failure.clone());
            assert_eq!(kind(&got), want, "{failure:?} on {target:?} gave {got}");
        }
    }

    /// One table for every service: EC2, DynamoDB, SNS and CloudWatch codes.
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
    fn route_not_found_names_the_route() {
        let table = RouteTableId::new("tgw-rtb-1");
        let got = classify(
            "ReplaceTransitGatewayRoute",
            Target::Route {
                table: &table,
                cidr: "10.1.0.0/16",
            },
            answer(400, "InvalidRoute.NotFound"),
        );
        assert_eq!(
            got,
            NetError::RouteNotFound {
                op: "ReplaceTransitGatewayRoute".into(),
                table,
                destination: "10.1.0.0/16".into(),
            }
        );
    }

    #[test]
    fn access_denied_names_the_iam_action() {
        let got = classify(
            "SearchTransitGatewayRoutes",
            Target::Read,
            answer(403, "UnauthorizedOperation"),
        );
        assert!(
            got.to_string().contains("ec2:SearchTransitGatewayRoutes"),
            "{got}"
        );
        assert!(!got.is_retryable());
    }

    #[test]
    fn rejected_keeps_code_and_names_the_resource() {
        let table = RouteTableId::new("tgw-rtb-9");
        let got = classify(
            "ReplaceTransitGatewayRoute",
            Target::Route {
                table: &table,
                cidr: "10.9.0.0/16",
            },
            answer(400, "InvalidParameterValue"),
        );
        assert_eq!(
            got.to_string(),
            "ReplaceTransitGatewayRoute: InvalidParameterValue: tgw-rtb-9 10.9.0.0/16: ec2 says no"
        );
    }

    #[test]
    fn reads_of_a_resource_name_it() {
        let got = classify(
            "SearchTransitGatewayRoutes",
            Target::ReadOf("tgw-rtb-7"),
            answer(503, "RequestLimitExceeded"),
        );
        assert_eq!(
            got.to_string(),
            "SearchTransitGatewayRoutes: throttled by ec2 (RequestLimitExceeded): tgw-rtb-7: ec2 says no"
        );
    }

    #[test]
    fn rejected_without_code_uses_the_status() {
        let got = classify(
            "DescribeVpnConnections",
            Target::Read,
            Failure::Answer {
                status: Some(404),
                code: None,
                message: "not xml".into(),
            },
        );
        assert!(
            matches!(got, NetError::Rejected { ref code, .. } if code == "HTTP404"),
            "{got}"
        );
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
        let mapped = map_sdk_error("DescribeVpnConnections", Target::Read, garbled);
        assert!(mapped.is_retryable(), "{mapped}");
    }
}
