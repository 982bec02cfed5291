//! The failover estimate at EC2's write rate: static routes against prefix-list references,
//! and when a conversion is suggested.

use super::*;

#[test]
fn failover_estimate_at_ec2_s_write_rate() {
    let keys = |cidrs: usize, lists: usize| -> Vec<RouteKey> {
        let mut k: Vec<RouteKey> = (0..cidrs)
            .map(|i| RouteKey {
                table: rtb(i % 20),
                destination: Destination::Cidr(cidr(i)),
            })
            .collect();
        k.extend((0..lists).map(|t| RouteKey {
            table: rtb(t),
            destination: Destination::PrefixList(PrefixListId::new(PL)),
        }));
        k
    };
    let cases = [
        // (static routes, references, seconds, suggest)
        (0, 0, 0.0, false),
        (50, 0, 0.1, false),
        (200, 0, 30.1, true),
        (199, 0, 29.9, false),
        (500, 0, 90.1, true),
        (5000, 0, 990.1, true),
        (0, 20, 0.1, false),
    ];
    for (cidrs, lists, seconds, suggest) in cases {
        let e = estimate(&keys(cidrs, lists));
        assert_eq!((e.cidr_routes, e.references), (cidrs, lists));
        assert!(
            (e.seconds - seconds).abs() < 1e-9,
            "{cidrs}+{lists}: {}",
            e.seconds
        );
        assert_eq!(e.suggest_conversion, suggest, "{cidrs}+{lists}");
    }
    let e = estimate(&keys(5000, 0));
    assert_eq!(e.tables, 20);
    let note = e.note(&GroupName::new("paris"));
    assert!(
        note.contains("16.5 min") && note.contains("prefix-lists plan --group paris"),
        "{note}"
    );
}
