//! `MaxResults`/`NextToken` paging, by key rather than by offset.
//!
//! Items are sorted by a unique key, and a token is the (hex-encoded, so opaque) key of the
//! last item handed out: the next page starts after it. A route created or deleted between two
//! pages therefore never shifts the others, so a client paging through a table that changes
//! under it (the engine moving routes while another reader pages) sees every unchanged item
//! exactly once, as with EC2's own tokens.

use crate::sandbox::error::ApiError;

/// One page and the token of the next, if there is more.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
    /// Whether items remain after this page (whether or not a token is handed out).
    pub more: bool,
}

/// The page of `items` (key, item) after `token`, at most `limit` long.
pub fn page<T>(
    mut items: Vec<(String, T)>,
    token: Option<&str>,
    limit: usize,
) -> Result<Page<T>, ApiError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let after = token.filter(|t| !t.is_empty()).map(decode).transpose()?;
    let mut rest = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < limit {
        let Some((k, item)) = rest.next() else { break };
        out.push(item);
        last = Some(k);
    }
    let more = rest.peek().is_some();
    Ok(Page {
        items: out,
        next_token: if more { last.map(|k| encode(&k)) } else { None },
        more,
    })
}

fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(token: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::client(
            "InvalidPaginationToken",
            format!("Invalid pagination token: {token}"),
        )
    };
    if !token.len().is_multiple_of(2) {
        return Err(bad());
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, ApiError>>()?;
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(keys: &[&str]) -> Vec<(String, String)> {
        keys.iter()
            .map(|k| ((*k).to_owned(), (*k).to_owned()))
            .collect()
    }

    #[test]
    fn pages_follow_keys_not_offsets() {
        let p1 = page(keyed(&["c", "a", "b", "d"]), None, 2).unwrap();
        assert_eq!(p1.items, ["a", "b"]);
        let t = p1.next_token.expect("more");
        // "a" deleted and "aa" created between pages: the next page is still what follows "b".
        let p2 = page(keyed(&["aa", "b", "c", "d"]), Some(&t), 2).unwrap();
        assert_eq!(p2.items, ["c", "d"]);
        assert_eq!(p2.next_token, None);
        assert!(!p2.more);
    }

    #[test]
    fn bad_tokens_are_refused() {
        let e = page(keyed(&["a"]), Some("zz"), 5).unwrap_err();
        assert_eq!(e.code, "InvalidPaginationToken");
        assert!(page(keyed(&["a"]), Some("abc"), 5).is_err());
    }
}
