//! EC2's response XML, written by hand.
//!
//! Why not an XML library: the sandbox only *writes* XML, in a handful of fixed shapes (one root
//! element named after the action, lower-camel members, `item` lists), and the only thing a
//! writer must get right is escaping — five characters. A serializer would need a derive per
//! shape plus renames for every member, which is more code than the shapes themselves.

use tgw_ha_core::Timestamp;

/// EC2's XML namespace for API version 2016-11-15 (the one every SDK speaks).
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// Escape text for element content (and attribute values: quotes too).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// EC2's timestamp format: UTC, whole seconds written with milliseconds, `Z`
/// (`2026-03-14T08:12:40.000Z`). EC2 keeps whole seconds; so does the sandbox's answer.
pub fn timestamp(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// A response document under construction. Element names are trusted (they are literals of
/// this crate); text is always escaped.
pub struct Xml {
    buf: String,
}

impl Xml {
    /// `<?xml …?><{action}Response xmlns="…"><requestId>…</requestId>`; finish with [`Xml::end`].
    pub fn response(action: &str, request_id: &str) -> Xml {
        let mut x = Xml {
            buf: String::with_capacity(1024),
        };
        x.buf.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        x.buf.push('\n');
        x.buf
            .push_str(&format!(r#"<{action}Response xmlns="{NAMESPACE}">"#));
        x.leaf("requestId", request_id);
        x
    }

    /// A bare fragment (for tests of element writers).
    pub fn fragment() -> Xml {
        Xml { buf: String::new() }
    }

    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>text</tag>`; an empty text is written `<tag/>`, as EC2 does (`<statusMessage/>`).
    pub fn leaf(&mut self, tag: &str, text: &str) -> &mut Self {
        if text.is_empty() {
            self.buf.push('<');
            self.buf.push_str(tag);
            self.buf.push_str("/>");
            return self;
        }
        self.open(tag);
        self.buf.push_str(&escape(text));
        self.close(tag)
    }

    pub fn opt_leaf(&mut self, tag: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(tag, t);
        }
        self
    }

    pub fn bool_leaf(&mut self, tag: &str, b: bool) -> &mut Self {
        self.leaf(tag, if b { "true" } else { "false" })
    }

    /// `<tag><item>…</item>…</tag>`, one `item` per element written by `f`. An empty list is
    /// written `<tag/>`, as EC2 does.
    pub fn list<T>(
        &mut self,
        tag: &str,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut Xml, T),
    ) -> &mut Self {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return self.leaf(tag, "");
        }
        self.open(tag);
        for item in items {
            self.open("item");
            f(self, item);
            self.close("item");
        }
        self.close(tag)
    }

    /// Close the root element and return the document.
    pub fn end(mut self, action: &str) -> String {
        self.buf.push_str(&format!("</{action}Response>"));
        self.buf
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

/// EC2's error document. Note the root is `Response` and the id element `RequestID`, unlike
/// successful answers (`requestId`): this is what the SDKs look for.
pub fn error_document(code: &str, message: &str, request_id: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>"#,
        escape(code),
        escape(message),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"a<b>&"c'"#),
            "a&lt;b&gt;&amp;&quot;c&apos;".to_owned()
        );
    }

    #[test]
    fn lists_and_empty_leaves() {
        let mut x = Xml::fragment();
        x.list("tagSet", [("k", "v<")], |x, (k, v)| {
            x.leaf("key", k).leaf("value", v);
        });
        x.list("routeSet", Vec::<u8>::new(), |_, _| {});
        x.leaf("statusMessage", "");
        assert_eq!(
            x.into_string(),
            "<tagSet><item><key>k</key><value>v&lt;</value></item></tagSet><routeSet/><statusMessage/>"
        );
    }
}
