//! Random worlds are valid, deterministic, and have the shapes they promise.

use tgw_ha_core::groups::discover;
use tgw_ha_core::policy::Policy;
use tgw_ha_sim::{RandomWorldParams, random_world};

#[test]
fn random_worlds_are_valid_and_deterministic() {
    for seed in 0..200 {
        let params = RandomWorldParams::sample(seed);
        let w = random_world(seed, &params);
        if let Err(e) = w.validate() {
            panic!("seed {seed}: {e}");
        }
        assert_eq!(w, random_world(seed, &params), "seed {seed}");
        assert!((1..=20).contains(&w.route_tables.len()));

        // Every group is discovered valid: the generator never makes an ambiguous group.
        let attachments: Vec<_> = w.attachments.iter().filter_map(|a| a.to_core()).collect();
        let d = discover(&w.vpn_connections, &attachments, &Policy::default());
        assert!(d.invalid.is_empty(), "seed {seed}: {:?}", d.invalid);
        assert_eq!(d.groups.len(), params.groups, "seed {seed}");
    }
}

#[test]
fn random_worlds_round_trip_through_toml() {
    for seed in [1, 7, 99] {
        let w = random_world(seed, &RandomWorldParams::sample(seed));
        assert_eq!(
            tgw_ha_sim::World::from_toml_str(&w.to_toml().unwrap()).unwrap(),
            w
        );
    }
}

#[test]
fn default_params_have_mutual_and_shared_backups_somewhere() {
    let mut mutual = false;
    let mut deep = false;
    for seed in 0..50 {
        let w = random_world(
            seed,
            &RandomWorldParams {
                groups: 4,
                max_backups: 3,
                ..Default::default()
            },
        );
        let attachments: Vec<_> = w.attachments.iter().filter_map(|a| a.to_core()).collect();
        let d = discover(&w.vpn_connections, &attachments, &Policy::default());
        let primaries: Vec<_> = d.groups.iter().map(|g| g.home().vpn.clone()).collect();
        mutual |= d
            .groups
            .iter()
            .any(|g| g.members[1..].iter().any(|m| primaries.contains(&m.vpn)));
        deep |= d.groups.iter().any(|g| g.members.len() >= 3);
    }
    assert!(mutual && deep);
}
