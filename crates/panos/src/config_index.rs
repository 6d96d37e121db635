//! Streaming index of large configurations (work in progress).
