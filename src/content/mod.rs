//! Posts and their per-channel variants.
