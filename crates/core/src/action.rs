//! [`Ec2Action`]: the EC2 actions tgw-ha calls, named once.
//!
//! Contract: each variant is spelled exactly as EC2 names the action, and that spelling is its
//! text everywhere — [`Ec2Action::as_str`], `Display`, `FromStr` and its serde form — so the
//! outcome's `calls` map, the sim's call statistics and a scenario file's fault `op` keep the
//! strings they always had.
//!
//! One enum for both ports that call EC2 (the failover path's `Network` and the conversion's
//! `PrefixListAdmin`): EC2 throttles per action whichever port makes the call, and the
//! executor's buckets, its statistics and the sandbox's action table key on the same names. It
//! lives in the core, below the engine, because the core's conversion steps name the action
//! they call too. [`Ec2Action::NETWORK`] lists the seven of the `Network` port.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One EC2 API action tgw-ha calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ec2Action {
    // The `Network` port (failover).
    DescribeVpnConnections,
    DescribeTransitGatewayAttachments,
    DescribeTransitGatewayRouteTables,
    SearchTransitGatewayRoutes,
    GetTransitGatewayPrefixListReferences,
    ReplaceTransitGatewayRoute,
    ModifyTransitGatewayPrefixListReference,
    // The `PrefixListAdmin` port (conversion), besides the two reads it shares above.
    DescribeManagedPrefixLists,
    GetManagedPrefixListEntries,
    CreateManagedPrefixList,
    ModifyManagedPrefixList,
    DeleteManagedPrefixList,
    CreateTransitGatewayPrefixListReference,
    DeleteTransitGatewayPrefixListReference,
    CreateTransitGatewayRoute,
    DeleteTransitGatewayRoute,
}

/// The text `FromStr` did not recognise as an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown EC2 action {0:?}")]
pub struct UnknownAction(pub String);

impl Ec2Action {
    /// Every action, the `Network` port's first.
    pub const ALL: [Ec2Action; 16] = [
        Ec2Action::DescribeVpnConnections,
        Ec2Action::DescribeTransitGatewayAttachments,
        Ec2Action::DescribeTransitGatewayRouteTables,
        Ec2Action::SearchTransitGatewayRoutes,
        Ec2Action::GetTransitGatewayPrefixListReferences,
        Ec2Action::ReplaceTransitGatewayRoute,
        Ec2Action::ModifyTransitGatewayPrefixListReference,
        Ec2Action::DescribeManagedPrefixLists,
        Ec2Action::GetManagedPrefixListEntries,
        Ec2Action::CreateManagedPrefixList,
        Ec2Action::ModifyManagedPrefixList,
        Ec2Action::DeleteManagedPrefixList,
        Ec2Action::CreateTransitGatewayPrefixListReference,
        Ec2Action::DeleteTransitGatewayPrefixListReference,
        Ec2Action::CreateTransitGatewayRoute,
        Ec2Action::DeleteTransitGatewayRoute,
    ];

    /// The actions of the `Network` port, one per method.
    pub const NETWORK: [Ec2Action; 7] = [
        Ec2Action::DescribeVpnConnections,
        Ec2Action::DescribeTransitGatewayAttachments,
        Ec2Action::DescribeTransitGatewayRouteTables,
        Ec2Action::SearchTransitGatewayRoutes,
        Ec2Action::GetTransitGatewayPrefixListReferences,
        Ec2Action::ReplaceTransitGatewayRoute,
        Ec2Action::ModifyTransitGatewayPrefixListReference,
    ];

    /// EC2's name of the action.
    pub const fn as_str(self) -> &'static str {
        match self {
            Ec2Action::DescribeVpnConnections => "DescribeVpnConnections",
            Ec2Action::DescribeTransitGatewayAttachments => "DescribeTransitGatewayAttachments",
            Ec2Action::DescribeTransitGatewayRouteTables => "DescribeTransitGatewayRouteTables",
            Ec2Action::SearchTransitGatewayRoutes => "SearchTransitGatewayRoutes",
            Ec2Action::GetTransitGatewayPrefixListReferences => {
                "GetTransitGatewayPrefixListReferences"
            }
            Ec2Action::ReplaceTransitGatewayRoute => "ReplaceTransitGatewayRoute",
            Ec2Action::ModifyTransitGatewayPrefixListReference => {
                "ModifyTransitGatewayPrefixListReference"
            }
            Ec2Action::DescribeManagedPrefixLists => "DescribeManagedPrefixLists",
            Ec2Action::GetManagedPrefixListEntries => "GetManagedPrefixListEntries",
            Ec2Action::CreateManagedPrefixList => "CreateManagedPrefixList",
            Ec2Action::ModifyManagedPrefixList => "ModifyManagedPrefixList",
            Ec2Action::DeleteManagedPrefixList => "DeleteManagedPrefixList",
            Ec2Action::CreateTransitGatewayPrefixListReference => {
                "CreateTransitGatewayPrefixListReference"
            }
            Ec2Action::DeleteTransitGatewayPrefixListReference => {
                "DeleteTransitGatewayPrefixListReference"
            }
            Ec2Action::CreateTransitGatewayRoute => "CreateTransitGatewayRoute",
            Ec2Action::DeleteTransitGatewayRoute => "DeleteTransitGatewayRoute",
        }
    }

    /// A mutating action: EC2 paces it with the smaller bucket (50 burst, 5 per s).
    pub const fn is_write(self) -> bool {
        !matches!(
            self,
            Ec2Action::DescribeVpnConnections
                | Ec2Action::DescribeTransitGatewayAttachments
                | Ec2Action::DescribeTransitGatewayRouteTables
                | Ec2Action::SearchTransitGatewayRoutes
                | Ec2Action::GetTransitGatewayPrefixListReferences
                | Ec2Action::DescribeManagedPrefixLists
                | Ec2Action::GetManagedPrefixListEntries
        )
    }

    /// A route move of the failover path (the `Network` port's two writes): what a failover
    /// changes, and what the sim's crash fault counts.
    pub const fn is_move(self) -> bool {
        matches!(
            self,
            Ec2Action::ReplaceTransitGatewayRoute
                | Ec2Action::ModifyTransitGatewayPrefixListReference
        )
    }
}

impl fmt::Display for Ec2Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Ec2Action {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl FromStr for Ec2Action {
    type Err = UnknownAction;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ec2Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_is_the_serde_form() {
        for a in Ec2Action::ALL {
            assert_eq!(a.as_str().parse::<Ec2Action>(), Ok(a));
            assert_eq!(a.to_string(), a.as_str());
            let json = serde_json::to_string(&a).expect("serialise");
            assert_eq!(json, format!("\"{}\"", a.as_str()));
            assert_eq!(serde_json::from_str::<Ec2Action>(&json).expect("parse"), a);
        }
        assert_eq!(
            "Wait".parse::<Ec2Action>(),
            Err(UnknownAction("Wait".into()))
        );
    }

    #[test]
    fn all_lists_each_action_once_network_first() {
        let mut sorted = Ec2Action::ALL.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), Ec2Action::ALL.len());
        assert_eq!(Ec2Action::ALL[..7], Ec2Action::NETWORK);
    }

    #[test]
    fn moves_are_the_network_ports_writes() {
        let writes: Vec<_> = Ec2Action::NETWORK
            .into_iter()
            .filter(|a| a.is_write())
            .collect();
        let moves: Vec<_> = Ec2Action::ALL.into_iter().filter(|a| a.is_move()).collect();
        assert_eq!(writes, moves);
        assert!(Ec2Action::CreateTransitGatewayRoute.is_write());
        assert!(!Ec2Action::GetManagedPrefixListEntries.is_write());
    }
}
