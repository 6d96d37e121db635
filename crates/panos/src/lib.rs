//! Sans-IO model of the PAN-OS XML API (work in progress).

pub mod catalog;
pub mod config_index;
