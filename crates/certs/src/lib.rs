//! Certificates on a PAN-OS estate: parse and validate certificate material before anything is
//! sent, the versioned object name, and (in the modules built on `panops-client`) inventory,
//! deploy through Panorama with automatic rollback, manual rollback, all recorded in the
//! process store (`panops-store`).
//!
//! ```
//! use panops_certs::material::{key_accepted, KeyKind};
//! assert!(key_accepted(&KeyKind::Rsa(2048)).is_ok());
//! assert!(key_accepted(&KeyKind::Rsa(1024)).is_err());
//! ```

pub mod acme;
pub mod deploy;
pub mod inventory;
pub mod material;
pub mod renew;
