//! How outcomes look to people (tables) and to scripts (JSON). Tables are for reading, not
//! parsing: scripts use `--output json`, whose shape is the engine's `Outcome`.

use comfy_table::{Cell, ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use std::collections::BTreeMap;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::planner::{GroupReport, GroupStatus, Move};
use tgw_ha_engine::Outcome;
use tgw_ha_engine::outcome::MoveStatus;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    // No wrapping: rows are written to fit ~130 columns, and a wrapped member line is harder to
    // read than a wide one.
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(Cell::new));
    t
}

fn member_cell(g: &GroupReport) -> String {
    g.members
        .iter()
        .map(|m| {
            let tunnels: String = m
                .health
                .tunnels
                .iter()
                .map(|t| {
                    if t.status == TunnelStatus::Up {
                        '▲'
                    } else {
                        '▽'
                    }
                })
                .collect();
            let state = if m.health.contradicted.is_some() {
                // Down by a signal that telemetry contradicts: the notes say which.
                "doubt"
            } else if !m.health.healthy {
                "down"
            } else if m.health.stable {
                "stable"
            } else {
                "up"
            };
            let mark = if g.active.as_ref() == Some(&m.vpn) {
                "*"
            } else {
                " "
            };
            format!(
                "{mark}{} {:<8} {tunnels} {state:<6} {:>3} routes{}",
                m.vpn,
                m.role.to_lowercase(),
                m.routes,
                m.name
                    .as_deref()
                    .map(|n| format!("  ({n})"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn status_cell(g: &GroupReport) -> String {
    let s = g.status.as_str().to_string();
    match &g.pinned {
        Some(p) => format!("{s}\npinned {p}"),
        None => s,
    }
}

/// One row per group: its status, members (active marked `*`, tunnels ▲ up ▽ down) and notes.
pub fn groups_table(outcome: &Outcome) -> String {
    let mut t = table(&["group", "status", "members (* = active)", "moves", "notes"]);
    let mut any = false;
    for tgw in &outcome.tgws {
        for g in &tgw.groups {
            any = true;
            t.add_row(vec![
                Cell::new(format!("{}\n{}", g.name, g.tgw)),
                Cell::new(status_cell(g)),
                Cell::new(member_cell(g)),
                Cell::new(if g.moves > 0 {
                    format!("{} of {}", g.moves, g.routes)
                } else {
                    "-".into()
                }),
                Cell::new(g.notes.join("\n")),
            ]);
        }
        for bad in &tgw.invalid {
            any = true;
            t.add_row(vec![
                Cell::new(format!("{}\n{}", bad.name, tgw.tgw)),
                Cell::new("INVALID"),
                Cell::new(
                    bad.vpns
                        .iter()
                        .map(|v| v.to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Cell::new("-"),
                Cell::new(format!("left alone: {}", bad.reason)),
            ]);
        }
    }
    if !any {
        return "no groups found (tag VPN connections <site>=primary and <site>=backup)\n".into();
    }
    format!("{t}\n")
}

/// Moves, compressed for people: per group and target, one line per route table with the
/// destinations (the full list is in `--output json`).
pub fn moves_summary(
    moves: &[Move],
    results: Option<&[tgw_ha_engine::outcome::MoveResult]>,
) -> String {
    if moves.is_empty() {
        return "no moves\n".into();
    }
    let status_of = |m: &Move| -> &'static str {
        match results.and_then(|rs| rs.iter().find(|r| r.planned.key == m.key)) {
            None => "",
            Some(r) => match r.status {
                MoveStatus::Done => "",
                MoveStatus::Vanished => " (vanished)",
                MoveStatus::Failed { .. } => " (FAILED)",
                MoveStatus::Abandoned { .. } => " (abandoned)",
            },
        }
    };
    let mut by: BTreeMap<(String, String, String, String), Vec<String>> = BTreeMap::new();
    for m in moves {
        let from = m
            .from
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "blackhole".into());
        by.entry((
            m.group.to_string(),
            format!("{from} → {}\n(to {})", m.to, m.to_vpn),
            m.kind.as_str().to_string(),
            m.key.table.to_string(),
        ))
        .or_default()
        .push(format!("{}{}", m.key.destination, status_of(m)));
    }
    let mut t = table(&["group", "move", "kind", "route table", "destinations"]);
    for ((group, mv, kind, rt), dests) in by {
        let shown = if dests.len() > 6 {
            format!("{} … (+{} more)", dests[..6].join(" "), dests.len() - 6)
        } else {
            dests.join(" ")
        };
        t.add_row(vec![
            group,
            mv,
            kind,
            rt,
            format!("{} × {}", dests.len(), shown),
        ]);
    }
    format!("{t}\n")
}

pub fn events(outcome: &Outcome) -> String {
    let mut s = String::new();
    for tgw in &outcome.tgws {
        for e in &tgw.events {
            let arrow = match (&e.from, &e.to) {
                (Some(f), Some(t)) if f != t => format!(" {f} → {t}"),
                _ => String::new(),
            };
            s.push_str(&format!(
                "  notify: {} {:?}{}, {} routes{}\n",
                e.group,
                e.kind,
                arrow,
                e.routes,
                if e.detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", e.detail)
                }
            ));
        }
    }
    s
}

/// The one-line summary after a run.
pub fn summary(outcome: &Outcome) -> String {
    let down = outcome
        .groups()
        .filter(|g| g.status == GroupStatus::Down)
        .count();
    let groups = outcome.groups().count();
    let calls: u64 = outcome.calls.values().map(|c| c.calls).sum();
    let throttled: u64 = outcome.calls.values().map(|c| c.throttled).sum();
    let verb = if outcome.dry_run {
        "would move"
    } else {
        "moved"
    };
    let n = if outcome.dry_run {
        outcome.planned()
    } else {
        outcome.moved()
    };
    format!(
        "{groups} groups, {down} down; {verb} {n} routes; {} failed; {calls} EC2 calls ({throttled} throttled); {:.1}s",
        outcome.failed(),
        (outcome.finished_at - outcome.started_at).num_milliseconds() as f64 / 1000.0
    )
}

/// Full human rendering of an outcome: groups, moves, notifications, summary.
pub fn outcome(outcome: &Outcome) -> String {
    let mut s = groups_table(outcome);
    for tgw in &outcome.tgws {
        if !tgw.planned.is_empty() {
            let results = (!outcome.dry_run).then_some(tgw.results.as_slice());
            s.push_str(&moves_summary(&tgw.planned, results));
        }
        for d in &tgw.dropped {
            s.push_str(&format!("  ledger: {} ({}) {}\n", d.key, d.group, d.reason));
        }
    }
    s.push_str(&events(outcome));
    for n in &outcome.notes {
        s.push_str(&format!("  note: {n}\n"));
    }
    s.push_str(&summary(outcome));
    s.push('\n');
    s
}

/// A world file for people: VPNs with tunnels and tags, then each route table's routes counted
/// by target (the full list is in `--output json`).
pub fn world(w: &tgw_ha_sim::World) -> String {
    let mut s = String::new();
    if let Some(now) = w.now() {
        s.push_str(&format!("world time {}\n", now.to_rfc3339()));
    }
    let mut t = table(&["vpn", "state", "tgw", "tunnels", "tags"]);
    for v in &w.vpn_connections {
        t.add_row(vec![
            v.id.to_string(),
            v.state.to_string(),
            v.transit_gateway_id
                .as_ref()
                .map(|x| x.to_string())
                .unwrap_or_else(|| "-".into()),
            v.tunnels
                .iter()
                .map(|x| {
                    format!(
                        "{} {} since {}",
                        x.outside_ip,
                        x.status,
                        x.last_status_change.to_rfc3339()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            v.tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    s.push_str(&format!("{t}\n"));
    let target = |a: Option<&tgw_ha_core::ids::AttachmentId>| -> String {
        match a {
            None => "blackhole".into(),
            Some(a) => match w.attachments.iter().find(|x| &x.id == a) {
                Some(x) => format!("{a} ({})", x.resource_id),
                None => a.to_string(),
            },
        }
    };
    let mut t = table(&[
        "route table",
        "target",
        "static",
        "propagated",
        "prefix lists",
    ]);
    for rt in &w.route_tables {
        let mut by: BTreeMap<String, (usize, usize, Vec<String>)> = BTreeMap::new();
        for r in w.routes.iter().filter(|r| r.table == rt.id) {
            let e = by.entry(target(r.attachment.as_ref())).or_default();
            if r.is_static() {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        for p in w.prefix_list_references.iter().filter(|p| p.table == rt.id) {
            by.entry(target(p.attachment.as_ref()))
                .or_default()
                .2
                .push(p.prefix_list_id.to_string());
        }
        let name = match &rt.name {
            Some(n) => format!("{} ({n})", rt.id),
            None => rt.id.to_string(),
        };
        for (i, (tgt, (st, pr, pls))) in by.into_iter().enumerate() {
            t.add_row(vec![
                if i == 0 { name.clone() } else { String::new() },
                tgt,
                st.to_string(),
                pr.to_string(),
                pls.join(" "),
            ]);
        }
    }
    s.push_str(&format!("{t}\n"));
    s
}
