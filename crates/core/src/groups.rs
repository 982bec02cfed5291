//! Group discovery from tags, compatible with the reference sample: on each VPN connection, tag
//! key `<group>` with value `primary`, `backup`, `backup2`, `backup3`, … (case-insensitive).
//! Priority: primary 0, backup (or backup1) 1, backupN N.
//!
//! A group that cannot be acted on safely is reported with a reason and left alone; other groups
//! on the same TGW are unaffected.

use crate::ids::{AttachmentId, GroupName, TgwId, VpnId};
use crate::model::{Attachment, VpnConnection, VpnState};
use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub vpn: VpnId,
    pub attachment: AttachmentId,
    pub priority: u32,
    /// The tag value as written (`primary`, `Backup2`, …).
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: GroupName,
    pub tgw: TgwId,
    /// Sorted by priority; `members[0]` is the primary (home).
    pub members: Vec<Member>,
}

impl Group {
    pub fn home(&self) -> &Member {
        &self.members[0]
    }
    pub fn member_by_attachment(&self, id: &AttachmentId) -> Option<&Member> {
        self.members.iter().find(|m| &m.attachment == id)
    }
    pub fn member_by_vpn(&self, id: &VpnId) -> Option<&Member> {
        self.members.iter().find(|m| &m.vpn == id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidGroup {
    pub name: GroupName,
    pub vpns: Vec<VpnId>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    pub groups: Vec<Group>,
    pub invalid: Vec<InvalidGroup>,
}

impl Discovery {
    pub fn group(&self, name: &GroupName) -> Option<&Group> {
        self.groups.iter().find(|g| &g.name == name)
    }
    /// Groups that `vpn` is a member of.
    pub fn groups_of(&self, vpn: &VpnId) -> impl Iterator<Item = &Group> {
        self.groups
            .iter()
            .filter(move |g| g.member_by_vpn(vpn).is_some())
    }
}

/// `primary` → 0, `backup`/`backup1` → 1, `backupN` → N (N ≥ 1); anything else is not a role.
pub fn parse_role(value: &str) -> Option<u32> {
    let v = value.trim().to_ascii_lowercase();
    if v == "primary" {
        return Some(0);
    }
    let rest = v.strip_prefix("backup")?;
    if rest.is_empty() {
        return Some(1);
    }
    if rest.starts_with('0') || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse::<u32>().ok().filter(|n| *n >= 1)
}

struct Candidate<'a> {
    vpn: &'a VpnConnection,
    priority: u32,
    role: &'a str,
}

/// The group tags of one VPN: `(group key, priority, role as written)`.
pub fn group_tags<'a>(
    vpn: &'a VpnConnection,
    policy: &'a Policy,
) -> impl Iterator<Item = (&'a str, u32, &'a str)> + 'a {
    vpn.tags.iter().filter_map(move |(key, value)| {
        if key.starts_with("aws:") || key == "Name" {
            return None;
        }
        if let Some(allowed) = &policy.group_tag_keys
            && !allowed.iter().any(|a| a == key)
        {
            return None;
        }
        parse_role(value).map(|p| (key.as_str(), p, value.as_str()))
    })
}

/// Whether a VPN carries any group tag (so its TGW is worth looking at).
pub fn is_tagged_member(vpn: &VpnConnection, policy: &Policy) -> bool {
    group_tags(vpn, policy).next().is_some()
}

pub fn discover(vpns: &[VpnConnection], attachments: &[Attachment], policy: &Policy) -> Discovery {
    let mut by_group: BTreeMap<&str, Vec<Candidate>> = BTreeMap::new();
    for vpn in vpns {
        for (key, priority, role) in group_tags(vpn, policy) {
            by_group.entry(key).or_default().push(Candidate {
                vpn,
                priority,
                role,
            });
        }
    }

    let mut out = Discovery::default();
    for (name, mut cands) in by_group {
        cands.sort_by_key(|c| (c.priority, c.vpn.id.clone()));
        let name = GroupName::new(name);
        let vpn_ids: Vec<VpnId> = cands.iter().map(|c| c.vpn.id.clone()).collect();
        match validate(&cands, attachments) {
            Ok((tgw, members)) => out.groups.push(Group { name, tgw, members }),
            Err(reason) => out.invalid.push(InvalidGroup {
                name,
                vpns: vpn_ids,
                reason,
            }),
        }
    }

    // A VPN that is primary of two groups would make its home routes belong to both: refuse both.
    let mut primaries: BTreeMap<VpnId, Vec<GroupName>> = BTreeMap::new();
    for g in &out.groups {
        primaries
            .entry(g.home().vpn.clone())
            .or_default()
            .push(g.name.clone());
    }
    let conflicted: BTreeSet<GroupName> = primaries
        .values()
        .filter(|gs| gs.len() > 1)
        .flatten()
        .cloned()
        .collect();
    if !conflicted.is_empty() {
        let (bad, good): (Vec<Group>, Vec<Group>) = std::mem::take(&mut out.groups)
            .into_iter()
            .partition(|g| conflicted.contains(&g.name));
        out.groups = good;
        for g in bad {
            let others: Vec<String> = primaries[&g.home().vpn]
                .iter()
                .filter(|n| **n != g.name)
                .map(|n| n.to_string())
                .collect();
            out.invalid.push(InvalidGroup {
                reason: format!(
                    "{} is also primary of {}: a route cannot belong to two groups; tag it primary of one only",
                    g.home().vpn,
                    others.join(", ")
                ),
                vpns: g.members.iter().map(|m| m.vpn.clone()).collect(),
                name: g.name,
            });
        }
        out.invalid.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

fn validate(
    cands: &[Candidate],
    attachments: &[Attachment],
) -> Result<(TgwId, Vec<Member>), String> {
    if cands.len() < 2 {
        return Err(format!(
            "only one member ({}); a group needs a primary and at least one backup",
            cands[0].vpn.id
        ));
    }
    let primaries: Vec<&Candidate> = cands.iter().filter(|c| c.priority == 0).collect();
    match primaries.len() {
        0 => return Err("no member is tagged primary".into()),
        1 => {}
        _ => {
            let ids: Vec<String> = primaries.iter().map(|c| c.vpn.id.to_string()).collect();
            return Err(format!(
                "two members are tagged primary: {}",
                ids.join(", ")
            ));
        }
    }
    for w in cands.windows(2) {
        if w[0].priority == w[1].priority {
            return Err(format!(
                "{} and {} have the same priority ({} / {})",
                w[0].vpn.id, w[1].vpn.id, w[0].role, w[1].role
            ));
        }
    }
    let mut members = Vec::with_capacity(cands.len());
    let mut tgw: Option<&TgwId> = None;
    for c in cands {
        if matches!(c.vpn.state, VpnState::Deleted | VpnState::Deleting) {
            return Err(format!("member {} is {}", c.vpn.id, c.vpn.state));
        }
        let Some(t) = &c.vpn.transit_gateway_id else {
            return Err(format!("member {} is not on a transit gateway", c.vpn.id));
        };
        match tgw {
            None => tgw = Some(t),
            Some(first) if first != t => {
                return Err(format!(
                    "members are on different transit gateways ({} on {first}, {} on {t})",
                    cands[0].vpn.id, c.vpn.id
                ));
            }
            Some(_) => {}
        }
        let Some(att) = attachments
            .iter()
            .find(|a| a.vpn_id == c.vpn.id && &a.transit_gateway_id == t && a.state != "deleted")
        else {
            return Err(format!(
                "member {} has no transit gateway attachment",
                c.vpn.id
            ));
        };
        members.push(Member {
            vpn: c.vpn.id.clone(),
            attachment: att.id.clone(),
            priority: c.priority,
            role: c.role.to_owned(),
        });
    }
    Ok((tgw.cloned().expect("at least two members"), members))
}
