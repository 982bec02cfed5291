//! CreateTransitGatewayRoute, DeleteTransitGatewayRoute, ReplaceTransitGatewayRoute: static
//! CIDR routes, through the world's mutators (one static route per destination per table; a
//! missing route is `InvalidRoute.NotFound`; a target must be an attachment of the table's TGW).

use super::Ctx;
use super::search::{Shown, route_members};
use crate::sandbox::error::ApiError;
use crate::world::World;
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_core::model::{RouteState, RouteType};

/// The table, the destination and the target (`None`: blackhole) of a create or replace.
fn target(c: &Ctx) -> Result<(RouteTableId, String, Option<AttachmentId>), ApiError> {
    let cidr = c.params.required("DestinationCidrBlock")?.to_owned();
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let attachment = c
        .params
        .get("TransitGatewayAttachmentId")
        .filter(|a| !a.is_empty())
        .map(AttachmentId::new);
    let blackhole = c.params.flag("Blackhole")?;
    match (&attachment, blackhole) {
        (Some(_), true) => Err(ApiError::client(
            "InvalidParameterCombination",
            "Specify either a transit gateway attachment or Blackhole, not both",
        )),
        (None, false) => Err(ApiError::missing("TransitGatewayAttachmentId")),
        _ => Ok((table, cidr, attachment)),
    }
}

/// The route as stored after a write, as the write's answer shows it.
fn answer(
    w: &World,
    c: &Ctx,
    table: &RouteTableId,
    cidr: &str,
    state: Option<RouteState>,
) -> String {
    let shown = w.route(table, cidr).map(|r| Shown {
        cidr: Some(r.destination.clone()),
        prefix_list: None,
        attachment: r.attachment.clone(),
        route_type: r.route_type,
        state: state.unwrap_or(r.state),
    });
    let mut x = c.xml();
    if let Some(r) = shown {
        x.open("route");
        route_members(&mut x, w, &r);
        x.close("route");
    }
    x.end(c.action)
}

pub(super) fn create(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let (table, cidr, to) = target(c)?;
    w.create_route(&table, &cidr, to.as_ref())?;
    Ok(answer(w, c, &table, &cidr, None))
}

pub(super) fn replace(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let (table, cidr, to) = target(c)?;
    w.replace_route(&table, &cidr, to.as_ref())?;
    Ok(answer(w, c, &table, &cidr, None))
}

pub(super) fn delete(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let cidr = c.params.required("DestinationCidrBlock")?.to_owned();
    let before = w.route(&table, &cidr).map(|r| Shown {
        cidr: Some(r.destination.clone()),
        prefix_list: None,
        attachment: r.attachment.clone(),
        route_type: RouteType::Static,
        state: RouteState::Deleted,
    });
    w.delete_route(&table, &cidr)?;
    let mut x = c.xml();
    if let Some(r) = before {
        x.open("route");
        route_members(&mut x, w, &r);
        x.close("route");
    }
    Ok(x.end(c.action))
}
