//! panops actions (work in progress).
