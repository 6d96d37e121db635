//! Client integration tests: a scripted in-process HTTP server checks what goes on
//! the wire (key placement, retries, re-keying, job polling, redaction). One binary
//! for fast linking. `sim` runs round trips against the in-process simulator.

mod mock;
mod sim;
mod wire;
