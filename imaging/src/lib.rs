//! What is done to an uploaded photo, with nothing but its bytes: the `media`
//! function's core, pure so tests and `make bench` run it without AWS, and its own
//! crate so only `media` links the image decoders (docs/decisions/photos.md).

pub mod process;
pub mod samples;
