//! panops client (work in progress).
