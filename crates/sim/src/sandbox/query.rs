//! The EC2 Query protocol's request side: form-encoded parameters with flattened lists
//! (`Filter.1.Name`, `Filter.1.Value.1`, `VpnConnectionId.1`, `Tag.1.Key`), as the AWS SDKs,
//! boto3 and the AWS CLI send them.
//!
//! List indexes start at 1 and are read in numeric order; gaps are tolerated (EC2 does too).

use crate::sandbox::error::ApiError;
use std::collections::BTreeMap;

/// Every parameter of one request. A repeated key keeps its last value.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parse a form-encoded body (or query string); several sources may be merged.
    pub fn parse(sources: &[&[u8]]) -> Params {
        let mut map = BTreeMap::new();
        for s in sources {
            for (k, v) in form_urlencoded::parse(s) {
                map.insert(k.into_owned(), v.into_owned());
            }
        }
        Params(map)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        match self.get(key) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing(key)),
        }
    }

    /// A boolean parameter (`true`/`false`, any case); absent: `false`.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::invalid(format!(
                "Invalid value '{v}' for {key}: expecting true or false"
            ))),
        }
    }

    /// `prefix.N` values in index order (`VpnConnectionId.1`, `VpnConnectionId.2`, …).
    pub fn list(&self, prefix: &str) -> Vec<String> {
        self.indexed(prefix)
            .into_iter()
            .filter(|(_, rest, _)| rest.is_empty())
            .map(|(_, _, v)| v.to_owned())
            .collect()
    }

    /// `(N, rest, value)` for every key `prefix.N[.rest]`, ordered by N then rest.
    fn indexed(&self, prefix: &str) -> Vec<(u32, &str, &str)> {
        let mut out: Vec<(u32, &str, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let tail = k.strip_prefix(prefix)?.strip_prefix('.')?;
                let (n, rest) = tail.split_once('.').unwrap_or((tail, ""));
                Some((n.parse().ok()?, rest, v.as_str()))
            })
            .collect();
        out.sort();
        out
    }

    /// Structured list members: for `Tag.1.Key=a&Tag.1.Value=b`, `[{"Key": "a", "Value": "b"}]`.
    pub fn structs(&self, prefix: &str) -> Vec<BTreeMap<String, String>> {
        let mut by_index: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        for (n, rest, v) in self.indexed(prefix) {
            if !rest.is_empty() {
                by_index
                    .entry(n)
                    .or_default()
                    .insert(rest.to_owned(), v.to_owned());
            }
        }
        by_index.into_values().collect()
    }

    /// `Filter.N.Name` / `Filter.N.Value.M`. A filter with no name is refused; one with no
    /// value matches nothing (EC2 refuses it too, but boto3 never sends one).
    pub fn filters(&self) -> Result<Filters, ApiError> {
        // Per filter index: its name and its (value index, value) pairs.
        type Parts = (Option<String>, Vec<(u32, String)>);
        let mut by_index: BTreeMap<u32, Parts> = BTreeMap::new();
        for (n, rest, v) in self.indexed("Filter") {
            let entry = by_index.entry(n).or_default();
            if rest == "Name" {
                entry.0 = Some(v.to_owned());
            } else if let Some(m) = rest.strip_prefix("Value.")
                && let Ok(m) = m.parse::<u32>()
            {
                entry.1.push((m, v.to_owned()));
            }
        }
        let mut filters = Vec::new();
        for (n, (name, mut values)) in by_index {
            let name = name.ok_or_else(|| ApiError::missing(&format!("Filter.{n}.Name")))?;
            values.sort();
            filters.push(Filter {
                name,
                values: values.into_iter().map(|(_, v)| v).collect(),
            });
        }
        Ok(Filters(filters))
    }

    /// `MaxResults` within EC2's 5–1000 for these actions; absent: `default`.
    pub fn max_results(&self, default: usize) -> Result<usize, ApiError> {
        let Some(raw) = self.get("MaxResults") else {
            return Ok(default);
        };
        match raw.parse::<usize>() {
            Ok(n) if (5..=1000).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(format!(
                "Value ( {raw} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000."
            ))),
        }
    }
}

/// One filter: the name and the values it ORs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// The request's filters, ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(pub Vec<Filter>);

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuse any filter this action does not know, as EC2 does. `tag:<key>` is allowed when
    /// `tags` is.
    pub fn check(&self, known: &[&str], tags: bool) -> Result<(), ApiError> {
        for f in &self.0 {
            let ok = known.contains(&f.name.as_str()) || (tags && f.name.starts_with("tag:"));
            if !ok {
                return Err(ApiError::bad_filter(&f.name));
            }
        }
        Ok(())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Filter> {
        self.0.iter()
    }
}

impl Filter {
    /// Whether `actual` matches one of the values, with EC2's `*` and `?` wildcards.
    pub fn matches(&self, actual: &str) -> bool {
        self.values.iter().any(|v| glob(v, actual))
    }

    /// Whether any of `actual` matches.
    pub fn matches_any<'a>(&self, actual: impl IntoIterator<Item = &'a str>) -> bool {
        actual.into_iter().any(|a| self.matches(a))
    }
}

/// EC2 filter wildcards: `*` any run, `?` one character; `\` escapes the next character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => {
                pi += 1;
                ti += 1;
                continue;
            }
            Some('\\') if p.get(pi + 1) == Some(&t[ti]) => {
                pi += 2;
                ti += 1;
                continue;
            }
            Some(c) if *c != '\\' && *c == t[ti] => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_lists_and_filters() {
        let p = Params::parse(&[
            b"Action=X&Filter.2.Name=state&Filter.2.Value.1=available&Filter.1.Name=tag%3Aparis&Filter.1.Value.2=b&Filter.1.Value.1=a&VpnConnectionId.2=vpn-2&VpnConnectionId.1=vpn-1&Filter.10.Name=x&Filter.10.Value.1=y",
        ]);
        assert_eq!(p.get("Action"), Some("X"));
        assert_eq!(p.list("VpnConnectionId"), ["vpn-1", "vpn-2"]);
        let f = p.filters().unwrap();
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["tag:paris", "state", "x"],
            "numeric order, not text order"
        );
        assert_eq!(f.0[0].values, ["a", "b"]);
        assert!(f.check(&["state", "x"], true).is_ok());
        assert_eq!(
            f.check(&["state"], true).unwrap_err().code,
            "InvalidParameterValue"
        );
    }

    #[test]
    fn structs_group_by_index() {
        let p = Params::parse(&[b"Tag.1.Key=a&Tag.1.Value=1&Tag.2.Key=b"]);
        let t = p.structs("Tag");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].get("Value").map(String::as_str), Some("1"));
        assert_eq!(t[1].get("Value"), None);
    }

    #[test]
    fn max_results_is_bounded() {
        let ok = Params::parse(&[b"MaxResults=5"]);
        assert_eq!(ok.max_results(1000).unwrap(), 5);
        assert!(Params::parse(&[b"MaxResults=4"]).max_results(1000).is_err());
        assert!(
            Params::parse(&[b"MaxResults=1001"])
                .max_results(1000)
                .is_err()
        );
        assert_eq!(Params::default().max_results(1000).unwrap(), 1000);
    }

    #[test]
    fn wildcards() {
        assert!(glob("*", ""));
        assert!(glob("prim*", "primary"));
        assert!(glob("b?ckup*", "backup2"));
        assert!(!glob("b?ckup", "backup2"));
        assert!(glob("*-dc", "paris-dc"));
        assert!(glob(r"a\*", "a*"));
        assert!(!glob(r"a\*", "ab"));
        assert!(glob("vpn-1", "vpn-1"));
        assert!(!glob("vpn-1", "vpn-12"));
    }
}
