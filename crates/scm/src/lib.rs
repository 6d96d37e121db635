//! panops scm (work in progress).
