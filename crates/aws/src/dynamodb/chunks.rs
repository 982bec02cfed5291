//! The chunk codec of the copy-on-write state: the `head` item (which version is current, how
//! many chunks, the write token), the chunk keys (`state#<version>#<token>#<index>`, sorting by
//! version then index), and splitting a state's JSON into chunks and assembling it back.
//!
//! Contract: pure, no request. A head's chunks are found by its prefix alone, and no other
//! version's (or racing writer's) keys share it; assembling refuses a set of chunks that is not
//! exactly the head's.

use super::{HEAD, PK, SK, n, number, partition, s, string};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use tgw_ha_core::ids::TgwId;

/// The `head` item: which version is current and where its chunks are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub(super) version: u64,
    pub(super) chunks: u64,
    /// Random per write: keeps racing writers' chunks apart.
    pub(super) token: String,
    pub(super) bytes: u64,
}

impl Head {
    pub(super) fn parse(item: &HashMap<String, AttributeValue>) -> Result<Self, String> {
        Ok(Self {
            version: number(item, "version")?,
            chunks: number(item, "chunks")?,
            token: string(item, "token")?.to_owned(),
            bytes: number(item, "bytes").unwrap_or(0),
        })
    }

    pub(super) fn item(&self, tgw: &TgwId) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), s(partition(tgw))),
            (SK.to_owned(), s(HEAD)),
            ("version".to_owned(), n(self.version)),
            ("chunks".to_owned(), n(self.chunks)),
            ("token".to_owned(), s(&self.token)),
            ("bytes".to_owned(), n(self.bytes)),
        ])
    }

    /// Every chunk key of this version starts so (and no other version's does).
    pub(super) fn prefix(&self) -> String {
        format!("state#{:020}#{}#", self.version, self.token)
    }

    pub(super) fn chunk_sk(&self, i: usize) -> String {
        format!("{}{i:04}", self.prefix())
    }
}

pub(super) struct Chunk {
    pub(super) sk: String,
    pub(super) data: String,
}

/// The JSON of `head`, or what is missing.
pub(super) fn assemble(head: &Head, chunks: Vec<Chunk>) -> Result<String, String> {
    if chunks.len() as u64 != head.chunks {
        return Err(format!("{} of {} chunks found", chunks.len(), head.chunks));
    }
    let mut json = String::with_capacity(head.bytes as usize);
    for (i, chunk) in chunks.into_iter().enumerate() {
        if chunk.sk != head.chunk_sk(i) {
            return Err(format!("chunk {i} is missing (found {})", chunk.sk));
        }
        json.push_str(&chunk.data);
    }
    Ok(json)
}

/// Split `json` into pieces of at most `max` bytes, on character boundaries (each piece is a
/// DynamoDB string, which must be valid UTF-8). Always at least one piece.
pub(super) fn split_chunks(json: &str, max: usize) -> Vec<&str> {
    assert!(max >= 4, "a chunk must hold any one character");
    let mut parts = Vec::new();
    let mut rest = json;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (part, tail) = rest.split_at(cut);
        parts.push(part);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// 64 random bits, hex. From std's `RandomState`, which is seeded from the OS per thread: enough
/// to tell apart writers of the same version, with no extra dependency.
pub(super) fn write_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::super::{CHUNK_BYTES, LEASE};
    use super::*;

    #[test]
    fn split_respects_size_and_characters() {
        assert_eq!(split_chunks("", 10), vec![""]);
        assert_eq!(split_chunks("abcdefghij", 10), vec!["abcdefghij"]);
        assert_eq!(split_chunks("abcdefghijk", 10), vec!["abcdefghij", "k"]);
        // "é" is two bytes: never cut in the middle.
        let text = "aaaé".repeat(50);
        let parts = split_chunks(&text, 8);
        assert!(parts.iter().all(|p| p.len() <= 8 && !p.is_empty()));
        assert_eq!(parts.concat(), text);
        let big = "x".repeat(CHUNK_BYTES * 2 + 1);
        assert_eq!(split_chunks(&big, CHUNK_BYTES).len(), 3);
    }

    #[test]
    fn keys_sort_by_version_then_chunk() {
        let head = Head {
            version: 42,
            chunks: 2,
            token: "00ff".into(),
            bytes: 10,
        };
        assert_eq!(head.chunk_sk(3), "state#00000000000000000042#00ff#0003");
        assert!(head.chunk_sk(9) < head.chunk_sk(10));
        let next = Head {
            version: 43,
            ..head.clone()
        };
        assert!(head.chunk_sk(9999) < next.chunk_sk(0));
        // The sweep's upper bound excludes every chunk of the current version.
        assert!(format!("state#{:020}", 43) < next.chunk_sk(0));
        assert!(format!("state#{:020}", 43) > head.chunk_sk(9999));
        // Head and lease sort before every chunk: the sweep's lower bound skips them.
        assert!(HEAD < "state#" && LEASE < "state#");
        let parsed = Head::parse(&head.item(&TgwId::new("tgw-1"))).expect("parse");
        assert_eq!(parsed, head);
    }

    #[test]
    fn assemble_detects_missing_chunks() {
        let head = Head {
            version: 1,
            chunks: 2,
            token: "t".into(),
            bytes: 4,
        };
        let chunk = |i, d: &str| Chunk {
            sk: head.chunk_sk(i),
            data: d.into(),
        };
        assert_eq!(
            assemble(&head, vec![chunk(0, "ab"), chunk(1, "cd")]),
            Ok("abcd".into())
        );
        assert!(assemble(&head, vec![chunk(0, "ab")]).is_err());
        assert!(assemble(&head, vec![chunk(1, "cd"), chunk(1, "cd")]).is_err());
    }

    #[test]
    fn tokens_differ() {
        let a: std::collections::BTreeSet<String> = (0..1000).map(|_| write_token()).collect();
        assert_eq!(a.len(), 1000);
        assert!(a.iter().all(|t| t.len() == 16));
    }
}
