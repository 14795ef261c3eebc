//! Uploaded images.
