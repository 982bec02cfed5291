//! SDK errors of EC2 → the engine's [`NetError`], by the shared class.
//!
//! Contract: the engine's executor decides from the [`NetError`] variant alone whether to
//! retry: throttling and server-side failures are retried with backoff, everything else is
//! final. So the mapping is strict about what it calls retryable: EC2's quota errors
//! (`RouteLimitExceeded`, …) look like throttling by name but never pass, and are final. A route
//! that vanished is its own variant only when the caller names the route it was moving
//! ([`Target`]); a missing attachment (the move's *target*) is never reported as a vanished
//! route, since that would make the engine drop the route from its ledger.
//!
//! The prefix-list port (`tgw_ha_engine::prefix_lists`) adds two conventions, decided here
//! too: a call on a list still applying its previous change (`IncorrectState`) is retryable,
//! and a list that is gone when read or deleted ([`Target::PrefixList`]) is `RouteNotFound`.

use super::{Class, Failure, failure_of};
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use tgw_ha_core::ids::{PrefixListId, RouteTableId};
use tgw_ha_engine::layer::Ec2Action;
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
    /// A read or a delete of one managed prefix list, where its absence is an answer (`None`;
    /// deleted already): the prefix-list port's `RouteNotFound`, in no table (`-`).
    PrefixList(&'a PrefixListId),
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

/// The code of a missing managed prefix list.
const PREFIX_LIST_GONE: &[&str] = &["InvalidPrefixListID.NotFound"];

/// The code of a call on a managed prefix list that is still applying its previous change
/// (state `modify-in-progress`, …): it settles within seconds, so the call is worth a retry.
const SETTLING: &[&str] = &["IncorrectState"];

/// The calls that act on one managed prefix list, or make or remove a reference to one, and so
/// may find it settling ([`SETTLING`]). Not the failover's reference modify, whose
/// `IncorrectState` has always been final, nor the route and search calls.
const ON_A_PREFIX_LIST: &[Ec2Action] = &[
    Ec2Action::DescribeManagedPrefixLists,
    Ec2Action::GetManagedPrefixListEntries,
    Ec2Action::CreateManagedPrefixList,
    Ec2Action::ModifyManagedPrefixList,
    Ec2Action::DeleteManagedPrefixList,
    Ec2Action::CreateTransitGatewayPrefixListReference,
    Ec2Action::DeleteTransitGatewayPrefixListReference,
];

/// The mapping of an SDK error of the EC2 action `op` acting on `target`, as a function to
/// hand to `map_err`: each adapter call names its action and target once.
pub(crate) fn sdk_error<'a, E>(
    op: Ec2Action,
    target: Target<'a>,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> NetError + 'a
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    move |err| classify(op, target, failure_of(&err))
}

/// The EC2 decision, on plain data: the shared class, refined by what the call was acting on.
pub(crate) fn classify(op: Ec2Action, target: Target<'_>, failure: Failure) -> NetError {
    let action = op;
    let op = op.as_str().to_owned();
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
                Target::PrefixList(id) if failure.is(PREFIX_LIST_GONE) => {
                    return gone(&RouteTableId::new("-"), id.to_string());
                }
                // Something else is missing (the target attachment; a read has no route to
                // lose): final, unless the server failed while saying so.
                _ if failure.status().is_some_and(|s| s >= 500) => {
                    return NetError::Unavailable { op, message };
                }
                _ => {}
            }
        }
        Class::Other if failure.is(SETTLING) && ON_A_PREFIX_LIST.contains(&action) => {
            return NetError::Unavailable {
                message: format!("{}: {message}", failure.code_or_status()),
                op,
            };
        }
        Class::ConditionFailed | Class::Other => {}
    }
    let code = failure.code_or_status();
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
        Target::PrefixList(id) => format!("{id}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, code: &str) -> Failure {
        Failure::answer(status, code, "ec2 says no")
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
            let got = classify(
                Ec2Action::ReplaceTransitGatewayRoute,
                target,
                failure.clone(),
            );
            assert_eq!(kind(&got), want, "{failure:?} on {target:?} gave {got}");
        }
    }

    /// One table for every service: EC2, DynamoDB, SNS and CloudWatch codes.

    #[test]
    fn prefix_list_conventions() {
        let pl = PrefixListId::new("pl-1");
        let table = RouteTableId::new("tgw-rtb-1");
        let cases: Vec<(Ec2Action, Target<'_>, Failure, &str)> = vec![
            // A list gone when read or deleted: the port's `RouteNotFound`.
            (
                Ec2Action::DeleteManagedPrefixList,
                Target::PrefixList(&pl),
                answer(400, "InvalidPrefixListID.NotFound"),
                "not-found",
            ),
            (
                Ec2Action::DescribeManagedPrefixLists,
                Target::PrefixList(&pl),
                answer(400, "InvalidPrefixListID.NotFound"),
                "not-found",
            ),
            // Gone while modified is not "done".
            (
                Ec2Action::ModifyManagedPrefixList,
                Target::ReadOf("pl-1"),
                answer(400, "InvalidPrefixListID.NotFound"),
                "rejected",
            ),
            (
                Ec2Action::DeleteManagedPrefixList,
                Target::PrefixList(&pl),
                answer(400, "DependencyViolation"),
                "rejected",
            ),
            // A list still settling: retry, on the calls that act on a list.
            (
                Ec2Action::ModifyManagedPrefixList,
                Target::ReadOf("pl-1"),
                answer(400, "IncorrectState"),
                "unavailable",
            ),
            (
                Ec2Action::CreateTransitGatewayPrefixListReference,
                Target::ReadOf("tgw-rtb-1"),
                answer(400, "IncorrectState"),
                "unavailable",
            ),
            (
                Ec2Action::DeleteTransitGatewayPrefixListReference,
                Target::PrefixListReference {
                    table: &table,
                    prefix_list: &pl,
                },
                answer(400, "IncorrectState"),
                "unavailable",
            ),
            // Not on the failover's reference modify, nor on routes.
            (
                Ec2Action::ModifyTransitGatewayPrefixListReference,
                Target::PrefixListReference {
                    table: &table,
                    prefix_list: &pl,
                },
                answer(400, "IncorrectState"),
                "rejected",
            ),
            (
                Ec2Action::CreateTransitGatewayRoute,
                Target::ReadOf("tgw-rtb-1"),
                answer(400, "IncorrectState"),
                "rejected",
            ),
        ];
        for (op, target, failure, want) in cases {
            let got = classify(op, target, failure.clone());
            assert_eq!(
                kind(&got),
                want,
                "{op}: {failure:?} on {target:?} gave {got}"
            );
        }
        let got = classify(
            Ec2Action::DeleteManagedPrefixList,
            Target::PrefixList(&pl),
            answer(400, "InvalidPrefixListID.NotFound"),
        );
        assert_eq!(
            got,
            NetError::RouteNotFound {
                op: Ec2Action::DeleteManagedPrefixList.as_str().into(),
                table: RouteTableId::new("-"),
                destination: "pl-1".into(),
            }
        );
        let got = classify(
            Ec2Action::ModifyManagedPrefixList,
            Target::ReadOf("pl-1"),
            answer(400, "IncorrectState"),
        );
        assert_eq!(
            got,
            NetError::Unavailable {
                op: Ec2Action::ModifyManagedPrefixList.as_str().into(),
                message: "IncorrectState: pl-1: ec2 says no".into(),
            }
        );
    }

    #[test]
    fn route_not_found_names_the_route() {
        let table = RouteTableId::new("tgw-rtb-1");
        let got = classify(
            Ec2Action::ReplaceTransitGatewayRoute,
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
            Ec2Action::SearchTransitGatewayRoutes,
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
            Ec2Action::ReplaceTransitGatewayRoute,
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
            Ec2Action::SearchTransitGatewayRoutes,
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
            Ec2Action::DescribeVpnConnections,
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
}
