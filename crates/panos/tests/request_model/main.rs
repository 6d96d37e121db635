//! Integration tests of the request model: parsing device-shaped responses and
//! property tests of xpath quoting. One binary for fast linking.

mod responses;
mod xpath_quoting;
