//! Object catalog (work in progress).
