//! The EC2 actions the sandbox answers, each over the world under its lock.
//!
//! Every action reads its parameters as the Query protocol sends them (see [`super::query`]),
//! refuses unknown filters and missing required parameters as EC2 does, changes the world only
//! through its mutators (so the TGW's rules hold and a refused change changes nothing), and
//! answers EC2's XML shape for that action (element names from the EC2 API model's
//! `locationName`s).

mod describe;
mod managed_lists;
mod prefix_lists;
mod routes;
mod search;
mod tags;

use crate::resources::ResourceType;
use crate::sandbox::error::ApiError;
use crate::sandbox::query::Params;
use crate::sandbox::state::Knobs;
use crate::sandbox::xml::Xml;
use crate::world::World;
use tgw_ha_core::ids::AttachmentId;
use tgw_ha_engine::layer::Ec2Action;

/// The account every resource of the sandbox belongs to (the documentation account id).
pub const ACCOUNT: &str = "111122223333";

/// What one action needs besides the world.
pub(crate) struct Ctx<'a> {
    pub action: &'static str,
    pub params: &'a Params,
    pub knobs: &'a Knobs,
    pub request_id: &'a str,
}

impl Ctx<'_> {
    /// A response document for this action.
    pub fn xml(&self) -> Xml {
        Xml::response(self.action, self.request_id)
    }

    /// The page size of a paginated action: the request's `MaxResults` (default 1000), capped
    /// by the sandbox's page size.
    pub fn page_limit(&self) -> Result<usize, ApiError> {
        let asked = self.params.max_results(1000)?;
        Ok(self.knobs.page_size.map_or(asked, |p| asked.min(p.max(1))))
    }
}

type Run = fn(&mut World, &Ctx) -> Result<String, ApiError>;

/// One action: its EC2 name, its throttling category and its handler. Every [`Ec2Action`]
/// tgw-ha calls is here (named by the enum), and the tests' own `CreateTags` and `DeleteTags`.
pub(crate) struct Action {
    pub name: &'static str,
    /// Mutating actions share EC2's smaller bucket (50 burst, 5/s).
    pub mutating: bool,
    pub run: Run,
}

pub(crate) const ACTIONS: &[Action] = &[
    Action {
        name: Ec2Action::DescribeVpnConnections.as_str(),
        mutating: false,
        run: describe::vpn_connections,
    },
    Action {
        name: Ec2Action::DescribeTransitGatewayAttachments.as_str(),
        mutating: false,
        run: describe::attachments,
    },
    Action {
        name: Ec2Action::DescribeTransitGatewayRouteTables.as_str(),
        mutating: false,
        run: describe::route_tables,
    },
    Action {
        name: Ec2Action::SearchTransitGatewayRoutes.as_str(),
        mutating: false,
        run: search::search_routes,
    },
    Action {
        name: Ec2Action::GetTransitGatewayPrefixListReferences.as_str(),
        mutating: false,
        run: prefix_lists::get_references,
    },
    Action {
        name: Ec2Action::ReplaceTransitGatewayRoute.as_str(),
        mutating: true,
        run: routes::replace,
    },
    Action {
        name: Ec2Action::CreateTransitGatewayRoute.as_str(),
        mutating: true,
        run: routes::create,
    },
    Action {
        name: Ec2Action::DeleteTransitGatewayRoute.as_str(),
        mutating: true,
        run: routes::delete,
    },
    Action {
        name: Ec2Action::ModifyTransitGatewayPrefixListReference.as_str(),
        mutating: true,
        run: prefix_lists::modify_reference,
    },
    Action {
        name: Ec2Action::DescribeManagedPrefixLists.as_str(),
        mutating: false,
        run: managed_lists::describe_lists,
    },
    Action {
        name: Ec2Action::GetManagedPrefixListEntries.as_str(),
        mutating: false,
        run: managed_lists::get_entries,
    },
    Action {
        name: Ec2Action::CreateManagedPrefixList.as_str(),
        mutating: true,
        run: managed_lists::create_list,
    },
    Action {
        name: Ec2Action::ModifyManagedPrefixList.as_str(),
        mutating: true,
        run: managed_lists::modify_list,
    },
    Action {
        name: Ec2Action::DeleteManagedPrefixList.as_str(),
        mutating: true,
        run: managed_lists::delete_list,
    },
    Action {
        name: Ec2Action::CreateTransitGatewayPrefixListReference.as_str(),
        mutating: true,
        run: managed_lists::create_reference,
    },
    Action {
        name: Ec2Action::DeleteTransitGatewayPrefixListReference.as_str(),
        mutating: true,
        run: managed_lists::delete_reference,
    },
    Action {
        name: "CreateTags",
        mutating: true,
        run: tags::create,
    },
    Action {
        name: "DeleteTags",
        mutating: true,
        run: tags::delete,
    },
];

pub(crate) fn find(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// The names of every action the sandbox answers.
pub fn action_names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|a| a.name)
}

/// `<tag><transitGatewayAttachmentId/><resourceType/><resourceId/></tag>`-style members of one
/// attachment, as a route or a prefix-list reference lists it (order as EC2 writes them).
pub(crate) fn attachment_members(x: &mut Xml, w: &World, id: &AttachmentId) {
    x.leaf("resourceId", &resource_id(w, id));
    x.leaf("transitGatewayAttachmentId", id.as_str());
    if let Some(t) = resource_type(w, id) {
        x.leaf("resourceType", &t.to_string());
    }
}

pub(crate) fn resource_id(w: &World, id: &AttachmentId) -> String {
    w.attachment(id)
        .map(|a| a.resource_id.clone())
        .unwrap_or_default()
}

pub(crate) fn resource_type(w: &World, id: &AttachmentId) -> Option<ResourceType> {
    w.attachment(id).map(|a| a.resource_type)
}

/// Refuse `DryRun=true` the way EC2 answers a dry run that would have succeeded.
pub(crate) fn dry_run(params: &Params) -> Result<(), ApiError> {
    if params.flag("DryRun")? {
        return Err(ApiError::new(
            axum::http::StatusCode::PRECONDITION_FAILED,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_tgw_ha_calls_is_answered_with_its_throttling_category() {
        for a in Ec2Action::ALL {
            let action = find(a.as_str()).unwrap_or_else(|| panic!("{a} is not answered"));
            assert_eq!(action.mutating, a.is_write(), "{a}");
        }
    }
}
