//! Shared helpers for classifying HTTP outcomes (placeholder until implemented).
