//! `type=user-id` requests: `<uid-message>` building and batching.
//!
//! ```
//! use panops_panos::userid::{UidMessage, UidOp};
//! let mut msg = UidMessage::new();
//! msg.push(UidOp::register_ip("10.1.1.1", "quarantine", Some(3600)).unwrap());
//! msg.push(UidOp::logout("corp\\guest", "10.1.1.9").unwrap());
//! assert_eq!(
//!     msg.to_xml(),
//!     "<uid-message><version>1.0</version><type>update</type><payload>\
//!      <logout><entry name=\"corp\\guest\" ip=\"10.1.1.9\"/></logout>\
//!      <register><entry ip=\"10.1.1.1\"><tag><member timeout=\"3600\">quarantine</member></tag></entry></register>\
//!      </payload></uid-message>"
//! );
//! ```

use std::{fmt::Write as _, net::IpAddr};

use crate::{
    error::{Error, Result},
    request::ApiRequest,
    validate,
    xml::escape,
};

/// Largest tag timeout PAN-OS accepts, in seconds (30 days).
pub const MAX_TAG_TIMEOUT: u32 = 2_592_000;

/// One User-ID update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UidOp {
    /// Map `ip` to `user`, optionally for `timeout` minutes.
    Login {
        /// User (e.g. `dom\user`).
        user: String,
        /// IP address.
        ip: String,
        /// Mapping timeout.
        timeout: Option<u32>,
    },
    /// Remove the mapping of `ip` to `user`.
    Logout {
        /// User.
        user: String,
        /// IP address.
        ip: String,
    },
    /// Tag an IP (dynamic address groups).
    RegisterIp {
        /// IP address.
        ip: String,
        /// Tag.
        tag: String,
        /// Seconds until the tag expires (max [`MAX_TAG_TIMEOUT`]).
        timeout: Option<u32>,
    },
    /// Remove a tag from an IP.
    UnregisterIp {
        /// IP address.
        ip: String,
        /// Tag.
        tag: String,
    },
    /// Tag a user (dynamic user groups).
    RegisterUser {
        /// User.
        user: String,
        /// Tag.
        tag: String,
        /// Seconds until the tag expires (max [`MAX_TAG_TIMEOUT`]).
        timeout: Option<u32>,
    },
    /// Remove a tag from a user.
    UnregisterUser {
        /// User.
        user: String,
        /// Tag.
        tag: String,
    },
    /// Set the members of a group.
    Group {
        /// Group name.
        name: String,
        /// Member users.
        members: Vec<String>,
    },
}

fn check_ip(ip: &str) -> Result<()> {
    ip.parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| Error::invalid("ip", format!("{ip:?} is not an IPv4 or IPv6 address")))
}

fn check_timeout(timeout: Option<u32>) -> Result<()> {
    if let Some(t) = timeout {
        validate::range("timeout", u64::from(t), 0, u64::from(MAX_TAG_TIMEOUT))?;
    }
    Ok(())
}

fn check_user(user: &str) -> Result<()> {
    validate::name("user", user, 255)
}

fn check_tag(tag: &str) -> Result<()> {
    validate::name("tag", tag, 127)
}

impl UidOp {
    /// A validated [`UidOp::Login`].
    pub fn login(user: &str, ip: &str, timeout: Option<u32>) -> Result<Self> {
        check_user(user)?;
        check_ip(ip)?;
        Ok(Self::Login {
            user: user.into(),
            ip: ip.into(),
            timeout,
        })
    }

    /// A validated [`UidOp::Logout`].
    pub fn logout(user: &str, ip: &str) -> Result<Self> {
        check_user(user)?;
        check_ip(ip)?;
        Ok(Self::Logout {
            user: user.into(),
            ip: ip.into(),
        })
    }

    /// A validated [`UidOp::RegisterIp`].
    pub fn register_ip(ip: &str, tag: &str, timeout: Option<u32>) -> Result<Self> {
        check_ip(ip)?;
        check_tag(tag)?;
        check_timeout(timeout)?;
        Ok(Self::RegisterIp {
            ip: ip.into(),
            tag: tag.into(),
            timeout,
        })
    }

    /// A validated [`UidOp::UnregisterIp`].
    pub fn unregister_ip(ip: &str, tag: &str) -> Result<Self> {
        check_ip(ip)?;
        check_tag(tag)?;
        Ok(Self::UnregisterIp {
            ip: ip.into(),
            tag: tag.into(),
        })
    }

    /// A validated [`UidOp::RegisterUser`].
    pub fn register_user(user: &str, tag: &str, timeout: Option<u32>) -> Result<Self> {
        check_user(user)?;
        check_tag(tag)?;
        check_timeout(timeout)?;
        Ok(Self::RegisterUser {
            user: user.into(),
            tag: tag.into(),
            timeout,
        })
    }

    /// A validated [`UidOp::UnregisterUser`].
    pub fn unregister_user(user: &str, tag: &str) -> Result<Self> {
        check_user(user)?;
        check_tag(tag)?;
        Ok(Self::UnregisterUser {
            user: user.into(),
            tag: tag.into(),
        })
    }

    /// A validated [`UidOp::Group`].
    pub fn group(name: &str, members: &[&str]) -> Result<Self> {
        validate::name("group", name, 255)?;
        for m in members {
            check_user(m)?;
        }
        Ok(Self::Group {
            name: name.into(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
        })
    }

    fn section(&self) -> usize {
        match self {
            Self::Login { .. } => 0,
            Self::Logout { .. } => 1,
            Self::RegisterIp { .. } => 2,
            Self::UnregisterIp { .. } => 3,
            Self::RegisterUser { .. } => 4,
            Self::UnregisterUser { .. } => 5,
            Self::Group { .. } => 6,
        }
    }
}

const SECTIONS: [&str; 7] = [
    "login",
    "logout",
    "register",
    "unregister",
    "register-user",
    "unregister-user",
    "groups",
];

fn member(out: &mut String, tag: &str, timeout: Option<u32>) {
    match timeout {
        Some(t) => {
            let _ = write!(out, "<member timeout=\"{t}\">{}</member>", escape(tag));
        }
        None => {
            let _ = write!(out, "<member>{}</member>", escape(tag));
        }
    }
}

/// A `<uid-message>`; sections are written in the order login, logout, register,
/// unregister, register-user, unregister-user, groups, and tags of the same IP or
/// user within a section share one `<entry>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidMessage {
    ops: Vec<UidOp>,
}

impl UidMessage {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an update.
    pub fn push(&mut self, op: UidOp) -> &mut Self {
        self.ops.push(op);
        self
    }

    /// Updates in insertion order.
    pub fn ops(&self) -> &[UidOp] {
        &self.ops
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The message XML.
    pub fn to_xml(&self) -> String {
        let mut out =
            String::from("<uid-message><version>1.0</version><type>update</type><payload>");
        for (idx, section) in SECTIONS.iter().enumerate() {
            let ops: Vec<&UidOp> = self.ops.iter().filter(|o| o.section() == idx).collect();
            if ops.is_empty() {
                continue;
            }
            let _ = write!(out, "<{section}>");
            // Group tag operations by their key (ip or user), keeping first-seen order.
            let mut keys: Vec<&str> = Vec::new();
            for op in &ops {
                let key = match op {
                    UidOp::RegisterIp { ip, .. } | UidOp::UnregisterIp { ip, .. } => ip.as_str(),
                    UidOp::RegisterUser { user, .. } | UidOp::UnregisterUser { user, .. } => {
                        user.as_str()
                    }
                    _ => "",
                };
                match op {
                    UidOp::Login { user, ip, timeout } => {
                        let _ = write!(
                            out,
                            "<entry name=\"{}\" ip=\"{}\"",
                            escape(user),
                            escape(ip)
                        );
                        if let Some(t) = timeout {
                            let _ = write!(out, " timeout=\"{t}\"");
                        }
                        out.push_str("/>");
                    }
                    UidOp::Logout { user, ip } => {
                        let _ = write!(
                            out,
                            "<entry name=\"{}\" ip=\"{}\"/>",
                            escape(user),
                            escape(ip)
                        );
                    }
                    UidOp::Group { name, members } => {
                        let _ = write!(out, "<entry name=\"{}\"><members>", escape(name));
                        for m in members {
                            let _ = write!(out, "<entry name=\"{}\"/>", escape(m));
                        }
                        out.push_str("</members></entry>");
                    }
                    _ if !keys.contains(&key) => keys.push(key),
                    _ => {}
                }
            }
            for key in keys {
                let attr = if idx <= 3 { "ip" } else { "user" };
                let _ = write!(out, "<entry {attr}=\"{}\"><tag>", escape(key));
                for op in &ops {
                    match op {
                        UidOp::RegisterIp {
                            ip: k,
                            tag,
                            timeout,
                        }
                        | UidOp::RegisterUser {
                            user: k,
                            tag,
                            timeout,
                        } if k == key => member(&mut out, tag, *timeout),
                        UidOp::UnregisterIp { ip: k, tag }
                        | UidOp::UnregisterUser { user: k, tag }
                            if k == key =>
                        {
                            member(&mut out, tag, None)
                        }
                        _ => {}
                    }
                }
                out.push_str("</tag></entry>");
            }
            let _ = write!(out, "</{section}>");
        }
        out.push_str("</payload></uid-message>");
        out
    }

    /// Build the request (not idempotent).
    pub fn request(&self) -> Result<ApiRequest> {
        if self.ops.is_empty() {
            return Err(Error::invalid(
                "uid-message",
                "at least one update is required",
            ));
        }
        Ok(ApiRequest::new("user-id", false).push("cmd", self.to_xml()))
    }
}

/// Accumulates updates and splits them into messages of at most `max_ops` updates
/// and about `max_bytes` of XML each (pan-os-python sends one message per batch;
/// thousands of single-update requests take minutes on a real firewall).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidBatch {
    ops: Vec<UidOp>,
    max_ops: usize,
    max_bytes: usize,
}

impl UidBatch {
    /// A batch with the given limits (each at least 1).
    pub fn new(max_ops: usize, max_bytes: usize) -> Self {
        Self {
            ops: Vec::new(),
            max_ops: max_ops.max(1),
            max_bytes: max_bytes.max(1),
        }
    }

    /// Add an update.
    pub fn push(&mut self, op: UidOp) -> &mut Self {
        self.ops.push(op);
        self
    }

    /// Number of pending updates.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The messages to send, in order.
    pub fn messages(&self) -> Vec<UidMessage> {
        let mut out = Vec::new();
        let mut cur = UidMessage::new();
        let mut bytes = 0;
        for op in &self.ops {
            let mut single = UidMessage::new();
            single.push(op.clone());
            let len = single.to_xml().len();
            if !cur.is_empty() && (cur.ops.len() >= self.max_ops || bytes + len > self.max_bytes) {
                out.push(std::mem::take(&mut cur));
                bytes = 0;
            }
            bytes += len;
            cur.push(op.clone());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }
}

impl Default for UidBatch {
    fn default() -> Self {
        Self::new(1000, 512 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(UidOp::register_ip("10.0.0.1", "t", Some(MAX_TAG_TIMEOUT)).is_ok());
        let e = UidOp::register_ip("10.0.0.1", "t", Some(MAX_TAG_TIMEOUT + 1))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("invalid timeout"), "{e}");
        assert!(UidOp::register_ip("10.0.0.300", "t", None).is_err());
        assert!(UidOp::register_user("u", "t", Some(2_592_001)).is_err());
        assert!(UidOp::login("", "10.0.0.1", None).is_err());
        assert!(UidMessage::new().request().is_err());
    }

    #[test]
    fn all_sections() {
        let mut m = UidMessage::new();
        m.push(UidOp::register_ip("10.0.0.1", "a", Some(60)).unwrap())
            .push(UidOp::register_ip("10.0.0.1", "b", None).unwrap())
            .push(UidOp::register_ip("10.0.0.2", "a", None).unwrap())
            .push(UidOp::unregister_ip("10.0.0.3", "a").unwrap())
            .push(UidOp::register_user("d\\u", "t", Some(3600)).unwrap())
            .push(UidOp::unregister_user("d\\u", "t").unwrap())
            .push(UidOp::login("d\\u", "10.0.0.4", Some(20)).unwrap())
            .push(UidOp::group("grp", &["d\\u"]).unwrap());
        assert_eq!(
            m.to_xml(),
            "<uid-message><version>1.0</version><type>update</type><payload>\
             <login><entry name=\"d\\u\" ip=\"10.0.0.4\" timeout=\"20\"/></login>\
             <register><entry ip=\"10.0.0.1\"><tag><member timeout=\"60\">a</member><member>b</member></tag></entry>\
             <entry ip=\"10.0.0.2\"><tag><member>a</member></tag></entry></register>\
             <unregister><entry ip=\"10.0.0.3\"><tag><member>a</member></tag></entry></unregister>\
             <register-user><entry user=\"d\\u\"><tag><member timeout=\"3600\">t</member></tag></entry></register-user>\
             <unregister-user><entry user=\"d\\u\"><tag><member>t</member></tag></entry></unregister-user>\
             <groups><entry name=\"grp\"><members><entry name=\"d\\u\"/></members></entry></groups>\
             </payload></uid-message>"
        );
        let r = m.request().unwrap();
        assert_eq!(r.request_type(), "user-id");
        assert!(!r.is_idempotent());
    }

    #[test]
    fn batch_splits() {
        let mut b = UidBatch::new(3, 1 << 20);
        for i in 0..10 {
            b.push(UidOp::register_ip(&format!("10.0.0.{i}"), "t", None).unwrap());
        }
        let msgs = b.messages();
        assert_eq!(
            msgs.iter().map(|m| m.ops().len()).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        let mut b = UidBatch::new(1000, 300);
        for i in 0..10 {
            b.push(UidOp::register_ip(&format!("10.0.0.{i}"), "t", None).unwrap());
        }
        let msgs = b.messages();
        assert!(msgs.len() > 1);
        assert_eq!(msgs.iter().map(|m| m.ops().len()).sum::<usize>(), 10);
    }
}
