//! SCM simulator (work in progress).
