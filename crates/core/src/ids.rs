//! Newtype identifiers, so that a route table id can never be passed where an attachment id is
//! expected. They are transparent in serde: a scenario file or an API payload holds plain strings.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// `vpn-…`: a Site-to-Site VPN connection.
    VpnId
);
id_type!(
    /// `tgw-…`: a transit gateway.
    TgwId
);
id_type!(
    /// `tgw-attach-…`: a transit gateway attachment.
    AttachmentId
);
id_type!(
    /// `tgw-rtb-…`: a transit gateway route table.
    RouteTableId
);
id_type!(
    /// `pl-…`: a managed prefix list.
    PrefixListId
);
id_type!(
    /// The tag key that names a group (a protected site), as the user wrote it.
    GroupName
);
