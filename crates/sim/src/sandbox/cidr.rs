//! CIDR blocks for the route-search filters (`route-search.exact-match`, `.subnet-of-match`,
//! `.supernet-of-match`, `.longest-prefix-match`).

use std::net::IpAddr;

/// A prefix, normalised to its network address; v4 and v6 never contain each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    v6: bool,
    bits: u128,
    len: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        if l.starts_with('+') {
            return None;
        }
        let len: u8 = l.parse().ok()?;
        let (v6, bits, max) = match addr {
            IpAddr::V4(a) => (false, u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (true, u128::from(a), 128),
        };
        if len > max {
            return None;
        }
        let host_bits = u32::from(max - len);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        Some(Cidr {
            v6,
            bits: bits & mask,
            len,
        })
    }

    /// Whether `other` lies inside this prefix (equal included).
    pub fn contains(&self, other: &Cidr) -> bool {
        if self.v6 != other.v6 || other.len < self.len {
            return false;
        }
        let max = if self.v6 { 128 } else { 32 };
        let mask = u128::MAX
            .checked_shl(u32::from(max - self.len))
            .unwrap_or(0);
        other.bits & mask == self.bits
    }

    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// A key that sorts by family, then address, then prefix length.
    pub fn sort_key(&self) -> String {
        format!("{}{:032x}/{:03}", u8::from(self.v6), self.bits, self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).expect(s)
    }

    #[test]
    fn containment() {
        assert!(c("10.0.0.0/8").contains(&c("10.1.2.0/24")));
        assert!(c("10.0.0.0/8").contains(&c("10.0.0.0/8")));
        assert!(!c("10.1.2.0/24").contains(&c("10.0.0.0/8")));
        assert!(c("0.0.0.0/0").contains(&c("192.168.0.1/32")));
        assert!(!c("0.0.0.0/0").contains(&c("::/0")));
        assert!(c("::/0").contains(&c("2001:db8::/32")));
        assert_eq!(c("10.1.2.3/16"), c("10.1.0.0/16"));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("pl-1"), None);
    }
}
