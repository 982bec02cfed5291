//! CreateTags and DeleteTags, on VPN connections (the only resources whose tags tgw-ha reads:
//! a group is a tag). All resources are checked before any is changed.

use super::Ctx;
use crate::sandbox::error::ApiError;
use crate::world::World;
use tgw_ha_core::ids::VpnId;

fn resources(w: &World, c: &Ctx) -> Result<Vec<VpnId>, ApiError> {
    let ids = c.params.list("ResourceId");
    if ids.is_empty() {
        return Err(ApiError::missing("ResourceId"));
    }
    ids.into_iter()
        .map(|id| {
            if !id.starts_with("vpn-") {
                return Err(ApiError::invalid(format!(
                    "the sandbox tags only vpn connections, not '{id}'"
                )));
            }
            let vpn = VpnId::new(id);
            match w.vpn(&vpn) {
                Some(_) => Ok(vpn),
                None => Err(ApiError::client(
                    "InvalidVpnConnectionID.NotFound",
                    format!("The vpnConnection ID '{vpn}' does not exist"),
                )),
            }
        })
        .collect()
}

fn done(c: &Ctx) -> String {
    let mut x = c.xml();
    x.bool_leaf("return", true);
    x.end(c.action)
}

pub(super) fn create(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let vpns = resources(w, c)?;
    let tags = c.params.structs("Tag");
    if tags.is_empty() {
        return Err(ApiError::missing("Tag"));
    }
    let mut pairs = Vec::new();
    for t in &tags {
        let key = t
            .get("Key")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::missing("Tag.N.Key"))?;
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid(format!(
                "Tag keys starting with 'aws:' are reserved for internal use: {key}"
            )));
        }
        pairs.push((key.clone(), t.get("Value").cloned().unwrap_or_default()));
    }
    for vpn in &vpns {
        for (k, v) in &pairs {
            w.set_tag(vpn, k, v)?;
        }
    }
    Ok(done(c))
}

pub(super) fn delete(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let vpns = resources(w, c)?;
    let tags = c.params.structs("Tag");
    for vpn in &vpns {
        let current = w.vpn(vpn).map(|v| v.tags.clone()).unwrap_or_default();
        // No Tag parameter: every tag goes. A tag with a value goes only if the value matches.
        let doomed: Vec<String> = if tags.is_empty() {
            current.keys().cloned().collect()
        } else {
            tags.iter()
                .filter_map(|t| {
                    let key = t.get("Key")?;
                    let matches = t.get("Value").is_none_or(|v| current.get(key) == Some(v));
                    matches.then(|| key.clone())
                })
                .collect()
        };
        for k in doomed {
            w.remove_tag(vpn, &k)?;
        }
    }
    Ok(done(c))
}
