//! List envelopes and limit/offset paging; the predefined folders.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Page size the API uses when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u64 = 200;

/// The six predefined Prisma Access folders (what the `folder` enum of the sse-v1 specs
/// lists). Used when listing folders from the setup API is forbidden (403).
pub const PREDEFINED_FOLDERS: [&str; 6] = [
    "Shared",
    "Mobile Users",
    "Remote Networks",
    "Service Connections",
    "Mobile Users Container",
    "Mobile Users Explicit Proxy",
];

/// One page of a list response: `{data, limit, offset, total}` (or a bare array, which some
/// sse-v1 operations declare).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPage {
    /// The items.
    pub data: Vec<Value>,
    /// Page size the server applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Offset of the first item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Total number of items, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

fn num(v: Option<&Value>) -> Option<u64> {
    let v = v?;
    v.as_u64()
        .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl ListPage {
    /// Parses a list body; `None` when it is neither an envelope with an array `data` nor an
    /// array.
    pub fn parse(body: &Value) -> Option<ListPage> {
        match body {
            Value::Array(items) => Some(ListPage {
                data: items.clone(),
                limit: None,
                offset: None,
                total: None,
            }),
            Value::Object(m) => {
                let data = m.get("data")?.as_array()?.clone();
                Some(ListPage {
                    data,
                    limit: num(m.get("limit")),
                    offset: num(m.get("offset")),
                    total: num(m.get("total")),
                })
            }
            _ => None,
        }
    }

    /// The offset of the next page, or `None` when this was the last one.
    ///
    /// `requested` is the `(limit, offset)` that was sent. The server's `total` decides when
    /// present; otherwise a page shorter than the limit (or empty) is the last.
    pub fn next_offset(&self, requested_limit: u64, requested_offset: u64) -> Option<u64> {
        if self.data.is_empty() {
            return None;
        }
        let offset = self.offset.unwrap_or(requested_offset);
        let next = offset + self.data.len() as u64;
        if let Some(total) = self.total {
            return (next < total).then_some(next);
        }
        let limit = self.limit.filter(|l| *l > 0).unwrap_or(requested_limit);
        ((self.data.len() as u64) >= limit).then_some(next)
    }
}

/// Returns `params` (a JSON object or null) with `limit` and `offset` set.
pub fn with_page(params: &Value, limit: u64, offset: u64) -> Value {
    let mut map = match params {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    map.insert("limit".into(), Value::from(limit));
    map.insert("offset".into(), Value::from(offset));
    Value::Object(map)
}

/// Builds a list envelope (what the simulator returns).
pub fn list_envelope(data: Vec<Value>, limit: u64, offset: u64, total: u64) -> Value {
    serde_json::json!({ "data": data, "limit": limit, "offset": offset, "total": total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_page_from_total() {
        let p = ListPage::parse(&json!({"data":[1,2],"limit":2,"offset":0,"total":5})).unwrap();
        assert_eq!(p.next_offset(2, 0), Some(2));
        let p = ListPage::parse(&json!({"data":[5],"limit":2,"offset":4,"total":5})).unwrap();
        assert_eq!(p.next_offset(2, 4), None);
    }

    #[test]
    fn next_page_without_total() {
        let p = ListPage::parse(&json!([1, 2, 3])).unwrap();
        assert_eq!(p.next_offset(3, 6), Some(9));
        assert_eq!(p.next_offset(200, 0), None);
        let p = ListPage::parse(&json!({"data":[]})).unwrap();
        assert_eq!(p.next_offset(200, 0), None);
        assert!(ListPage::parse(&json!({"x":1})).is_none());
    }

    #[test]
    fn page_params() {
        let v = with_page(&json!({"folder":"Shared"}), 50, 100);
        assert_eq!(v, json!({"folder":"Shared","limit":50,"offset":100}));
    }
}
